// A stand-in for OpenAI's hosted <openai-chatkit>, served from 127.0.0.1 in place of the CDN.
// It does what the real component does with our options: keeps them from setOptions() and sends
// its requests through options.api.fetch (self-hosted) or asks options.api.getClientSecret.
// Its element methods (sendUserMessage, setThreadId ...) list each call on screen and fire the
// events the real element fires for them, so commands from Python can be checked.
class FakeChatKit extends HTMLElement {
  constructor() {
    super();
    this.calls = [];
  }
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
    this.callList = document.createElement("ol");
    this.callList.setAttribute("aria-label", "Stand-in calls");
    this.append(title, ping, secret, out, this.callList);
    this.showCalls();
    this.dispatchEvent(new CustomEvent("chatkit.ready", { bubbles: true }));
  }
  showCalls() {
    this.callList.replaceChildren(
      ...this.calls.map((call) => {
        const li = document.createElement("li");
        li.textContent = call;
        return li;
      }),
    );
  }
  record(name, args) {
    this.calls.push(`${name}(${args.map((a) => JSON.stringify(a)).join(", ")})`);
    this.showCalls();
  }
  fire(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, detail }));
  }
  async focusComposer() {
    this.record("focusComposer", []);
  }
  async setThreadId(threadId) {
    this.record("setThreadId", [threadId]);
    this.fire("chatkit.thread.change", { threadId });
  }
  async setComposerValue(params) {
    this.record("setComposerValue", [params]);
  }
  async fetchUpdates() {
    this.record("fetchUpdates", []);
  }
  async sendCustomAction(action, itemId) {
    this.record("sendCustomAction", itemId === undefined ? [action] : [action, itemId]);
    this.fire("chatkit.response.start");
    this.fire("chatkit.response.end");
  }
  async sendUserMessage(params) {
    this.record("sendUserMessage", [params]);
    if (params.newThread) this.fire("chatkit.thread.change", { threadId: "thr_stand_in" });
    this.fire("chatkit.response.start");
    this.fire("chatkit.response.end");
  }
}
customElements.define("openai-chatkit", FakeChatKit);
