// The messages that travel over the widget's comm. Mirrors chatkit_jupyter/_protocol.py;
// tests/test_protocol.py checks that both define the same kinds and hooks.

// Front end -> kernel.
export const REQUEST = "request";
export const CANCEL = "cancel";
export const UPLOAD_CHUNK = "upload_chunk";
export const CALL = "call";
export const VIEW_CLOSED = "view_closed";

// Kernel -> front end.
export const HEAD = "head";
export const CHUNK = "chunk";
export const END = "end";
export const BEAT = "beat";
export const RESPONSE = "response";
export const ERROR = "error";
export const RESULT = "result";

export const FROM_FRONTEND = [REQUEST, CANCEL, UPLOAD_CHUNK, CALL, VIEW_CLOSED] as const;
export const FROM_KERNEL = [HEAD, CHUNK, END, BEAT, RESPONSE, ERROR, RESULT] as const;

export const HOOK_CLIENT_TOOL = "client_tool";
export const HOOK_ACTION = "action";
export const HOOK_EFFECT = "effect";
export const HOOK_CLIENT_SECRET = "client_secret";
export const HOOK_LOG = "log";
export const HOOK_ENTITY_SEARCH = "entity_search";
export const HOOK_ENTITY_CLICK = "entity_click";
export const HOOK_ENTITY_PREVIEW = "entity_preview";
export const HOOK_COMMAND_SEARCH = "command_search";
export const HOOK_COMMAND_SELECT = "command_select";
export const HOOKS = [HOOK_CLIENT_TOOL, HOOK_ACTION, HOOK_EFFECT, HOOK_CLIENT_SECRET, HOOK_LOG, HOOK_ENTITY_SEARCH, HOOK_ENTITY_CLICK, HOOK_ENTITY_PREVIEW, HOOK_COMMAND_SEARCH, HOOK_COMMAND_SELECT] as const;
// Hooks wired only when Python registered a handler (the widget's `handlers` trait).
export const HANDLER_HOOKS = [HOOK_ENTITY_SEARCH, HOOK_ENTITY_CLICK, HOOK_ENTITY_PREVIEW, HOOK_COMMAND_SEARCH, HOOK_COMMAND_SELECT] as const;

export const API_URL = "https://chatkit-jupyter.invalid/chatkit";
export const UPLOAD_URL = API_URL + "/upload";

export type KernelMessage =
  | { kind: typeof HEAD; id: string; status: number; content_type: string }
  | { kind: typeof CHUNK; id: string; seq: number }
  | { kind: typeof END; id: string; total: number }
  | { kind: typeof BEAT; id: string; sent: number }
  | { kind: typeof RESPONSE; id: string; status: number; content_type: string }
  | { kind: typeof ERROR; id: string; status: number; message: string }
  | { kind: typeof RESULT; id: string; ok: boolean; value?: unknown; message?: string };
