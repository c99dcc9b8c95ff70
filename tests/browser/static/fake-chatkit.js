// A stand-in for OpenAI's hosted <openai-chatkit>, served from 127.0.0.1 in place of the CDN.
// It does what the real component does with our options: keeps them from setOptions() and sends
// its requests through options.api.fetch (self-hosted) or asks options.api.getClientSecret.
class FakeChatKit extends HTMLElement {
  setOptions(options) {
    this.options = options;
    this.render();
  }
  render() {
    this.replaceChildren();
    const title = document.createElement("h3");
    title.textContent = "Stand-in hosted ChatKit";
    const out = document.createElement("output");
    out.setAttribute("aria-label", "Stand-in result");
    const ping = document.createElement("button");
    ping.textContent = "List threads through the kernel";
    ping.addEventListener("click", async () => {
      const api = this.options.api;
      const response = await api.fetch(api.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "threads.list", params: { limit: 5 } }),
      });
      const body = await response.json();
      out.textContent = `status ${response.status}, ${body.data.length} threads, domainKey ${api.domainKey}`;
    });
    const secret = document.createElement("button");
    secret.textContent = "Get client secret";
    secret.addEventListener("click", async () => {
      const value = await this.options.api.getClientSecret(null);
      out.textContent = `secret ${value}`;
    });
    this.append(title, ping, secret, out);
    this.dispatchEvent(new CustomEvent("chatkit.ready", { bubbles: true }));
  }
}
customElements.define("openai-chatkit", FakeChatKit);
