// The messages that travel over the widget's comm. Mirrors the Python side of the protocol;
// tests/test_protocol.py checks that both define the same kinds, hooks and fields per kind.
//
// Requests and hook calls are started by the front end and carry an `id` unique across all views
// of all widgets. Commands (ChatKit's element methods run from Python) are started by the kernel,
// addressed to one view and answered with a `command_result`. A turn the kernel runs itself
// (Python's `ask`) is pushed to every view as `stream` batches and a `stream_end`; a `cancel` of its
// id stops it. Binary payloads (ChatKit's SSE bytes, JSON bodies, uploads) travel as comm buffers,
// never inside the JSON envelope.

// Front end -> kernel.
export const REQUEST = "request";
export const CANCEL = "cancel";
export const UPLOAD_CHUNK = "upload_chunk";
export const CALL = "call";
export const VIEW_CLOSED = "view_closed";
export const COMMAND_RESULT = "command_result";
export const ALIVE = "alive";

// Kernel -> front end.
export const HEAD = "head";
export const CHUNK = "chunk";
export const END = "end";
export const BEAT = "beat";
export const RESPONSE = "response";
export const ERROR = "error";
export const RESULT = "result";
export const COMMAND = "command";
export const INSPECT = "inspect";
export const STREAM = "stream";
export const STREAM_END = "stream_end";

export const FROM_FRONTEND = [REQUEST, CANCEL, UPLOAD_CHUNK, CALL, VIEW_CLOSED, COMMAND_RESULT, ALIVE] as const;
export const FROM_KERNEL = [HEAD, CHUNK, END, BEAT, RESPONSE, ERROR, RESULT, COMMAND, INSPECT, STREAM, STREAM_END] as const;

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
// ChatKit's events, reported so Python handlers can follow the chat.
export const HOOK_READY = "ready";
export const HOOK_THREAD_CHANGE = "thread_change";
export const HOOK_RESPONSE_START = "response_start";
export const HOOK_RESPONSE_END = "response_end";
// The person clicked or typed in the view: commands meant for one view go to the one used last.
export const HOOK_ACTIVE = "active";
// The page met `lucide:` icons its code lacks; the kernel answers with those it knows.
export const HOOK_ICONS = "icons";
// The inspector panel opened: the kernel answers `{entries}`, every entry it kept.
export const HOOK_INSPECT = "inspect";
export const HOOKS = [
  HOOK_CLIENT_TOOL,
  HOOK_ACTION,
  HOOK_EFFECT,
  HOOK_CLIENT_SECRET,
  HOOK_LOG,
  HOOK_ENTITY_SEARCH,
  HOOK_ENTITY_CLICK,
  HOOK_ENTITY_PREVIEW,
  HOOK_COMMAND_SEARCH,
  HOOK_COMMAND_SELECT,
  HOOK_READY,
  HOOK_THREAD_CHANGE,
  HOOK_RESPONSE_START,
  HOOK_RESPONSE_END,
  HOOK_ACTIVE,
  HOOK_ICONS,
  HOOK_INSPECT,
] as const;
// Hooks wired only when Python registered a handler (the widget's `handlers` trait).
export const HANDLER_HOOKS = [
  HOOK_ENTITY_SEARCH,
  HOOK_ENTITY_CLICK,
  HOOK_ENTITY_PREVIEW,
  HOOK_COMMAND_SEARCH,
  HOOK_COMMAND_SELECT,
] as const;

// Commands the kernel may send: the <openai-chatkit> element methods, by their own names.
export const COMMAND_SEND_USER_MESSAGE = "sendUserMessage";
export const COMMAND_SEND_CUSTOM_ACTION = "sendCustomAction";
export const COMMAND_SET_THREAD_ID = "setThreadId";
export const COMMAND_SET_COMPOSER_VALUE = "setComposerValue";
export const COMMAND_FOCUS_COMPOSER = "focusComposer";
export const COMMAND_FETCH_UPDATES = "fetchUpdates";
export const COMMANDS = [
  COMMAND_SEND_USER_MESSAGE,
  COMMAND_SEND_CUSTOM_ACTION,
  COMMAND_SET_THREAD_ID,
  COMMAND_SET_COMPOSER_VALUE,
  COMMAND_FOCUS_COMPOSER,
  COMMAND_FETCH_UPDATES,
] as const;
export type CommandName = (typeof COMMANDS)[number];

export const API_URL = "https://chatkit-jupyter.invalid/chatkit";
export const UPLOAD_URL = `${API_URL}/upload`;

// ---------------------------------------------------------------- front end -> kernel

/**
 * A ChatKit API call; the body is `buffers[0]`. `url` tells API calls from uploads (UPLOAD_URL +
 * attachment id). With `chunked`, the body is a file that follows as `upload_chunk` messages.
 */
export interface RequestMessage {
  kind: typeof REQUEST;
  id: string;
  /** The view that sent it, so `view_closed` can cancel what it still runs. */
  view: string;
  url: string;
  chunked?: true;
  /** This view answers each `beat` with `alive`: when it stops, the kernel cancels the request. */
  alive?: true;
}

/** The fetch was aborted (stop button, silence, lost chunks, reader gone). */
export interface CancelMessage {
  kind: typeof CANCEL;
  id: string;
}

/** One piece of an upload, the bytes in `buffers[0]`; `seq` counts from 0, `last` ends the file. */
export interface UploadChunkMessage {
  kind: typeof UPLOAD_CHUNK;
  id: string;
  seq: number;
  last: boolean;
}

/** A front-end hook (one of HOOKS) that Python answers with a `result`. */
export interface CallMessage {
  kind: typeof CALL;
  id: string;
  view: string;
  hook: string;
  payload: unknown;
  alive?: true;
}

/** A view went away: the kernel cancels what it still has running for it. */
export interface ViewClosedMessage {
  kind: typeof VIEW_CLOSED;
  view: string;
}

/** Answer to a `command`: `value` when `ok`, else `message`. */
export interface CommandResultMessage {
  kind: typeof COMMAND_RESULT;
  id: string;
  view: string;
  ok: boolean;
  value?: unknown;
  message?: string;
}

/** Answer to a `beat` for a request this view still reads; a view that stops answering is gone. */
export interface AliveMessage {
  kind: typeof ALIVE;
  id: string;
}

export type FrontendMessage =
  | RequestMessage
  | CancelMessage
  | UploadChunkMessage
  | CallMessage
  | ViewClosedMessage
  | CommandResultMessage
  | AliveMessage;

// ---------------------------------------------------------------- kernel -> front end

/** Start of a streamed response. The first batch of bytes, if any, rides in `buffers[0]` as chunk 0. */
export interface HeadMessage {
  kind: typeof HEAD;
  id: string;
  status: number;
  content_type: string;
}

/** A batch of SSE bytes in `buffers[0]`; `seq` counts from 0 (the head's batch is chunk 0) so a lost batch shows. */
export interface ChunkMessage {
  kind: typeof CHUNK;
  id: string;
  seq: number;
}

/** End of a streamed response; `total` is the number of chunks sent. */
export interface EndMessage {
  kind: typeof END;
  id: string;
  total: number;
}

/** Heartbeat for a running request or hook call; `sent` chunks so far shows a lost tail. */
export interface BeatMessage {
  kind: typeof BEAT;
  id: string;
  sent: number;
}

/** A complete, non-streamed response; the body is `buffers[0]`. */
export interface ResponseMessage {
  kind: typeof RESPONSE;
  id: string;
  status: number;
  content_type: string;
}

/** The request failed; ends any stream of that id. */
export interface ErrorMessage {
  kind: typeof ERROR;
  id: string;
  status: number;
  message: string;
}

/** Answer to a `call`: `value` when `ok`, else `message`. */
export interface ResultMessage {
  kind: typeof RESULT;
  id: string;
  ok: boolean;
  value?: unknown;
  message?: string;
}

/** Run a ChatKit element method (one of COMMANDS) in the view named `view`; others ignore it. */
export interface CommandMessage {
  kind: typeof COMMAND;
  id: string;
  view: string;
  name: string;
  args: unknown[];
}

/** New inspector entries, batched (see js/src/inspector); `id` is always "inspector". */
export interface InspectMessage {
  kind: typeof INSPECT;
  id: string;
  entries: Record<string, unknown>[];
}

/**
 * A batch of the SSE bytes (in `buffers[0]`) of a turn the kernel runs itself (Python's `ask`),
 * sent to every view; lite views show it as if it were their own stream. `seq` counts every batch
 * from 0, also those not sent while no view could show them (a first `seq` above 0: the view came
 * in late). `thread_id` is null while a turn that creates its thread has not said which. A
 * `cancel` of this id stops the turn.
 */
export interface StreamMessage {
  kind: typeof STREAM;
  id: string;
  seq: number;
  thread_id: string | null;
}

/** End of a pushed `stream`; `error` is a failure outside the stream (shown like a failed request). */
export interface StreamEndMessage {
  kind: typeof STREAM_END;
  id: string;
  total: number;
  thread_id: string | null;
  error?: string;
}

export type KernelMessage =
  | InspectMessage
  | StreamMessage
  | StreamEndMessage
  | HeadMessage
  | ChunkMessage
  | EndMessage
  | BeatMessage
  | ResponseMessage
  | ErrorMessage
  | ResultMessage
  | CommandMessage;

// The field names of every kind, for the Python side to compare with its TypedDicts: the object
// literal between the markers is JSON (tests/test_protocol.py parses it), sorted per kind.
// biome-ignore format: the table must stay JSON, with quoted keys
// <protocol-fields>
export const PROTOCOL_FIELDS = {
  "frontend": {
    "alive": ["id", "kind"],
    "call": ["alive", "hook", "id", "kind", "payload", "view"],
    "cancel": ["id", "kind"],
    "command_result": ["id", "kind", "message", "ok", "value", "view"],
    "request": ["alive", "chunked", "id", "kind", "url", "view"],
    "upload_chunk": ["id", "kind", "last", "seq"],
    "view_closed": ["kind", "view"]
  },
  "kernel": {
    "beat": ["id", "kind", "sent"],
    "chunk": ["id", "kind", "seq"],
    "command": ["args", "id", "kind", "name", "view"],
    "end": ["id", "kind", "total"],
    "error": ["id", "kind", "message", "status"],
    "head": ["content_type", "id", "kind", "status"],
    "inspect": ["entries", "id", "kind"],
    "response": ["content_type", "id", "kind", "status"],
    "result": ["id", "kind", "message", "ok", "value"],
    "stream": ["id", "kind", "seq", "thread_id"],
    "stream_end": ["error", "id", "kind", "thread_id", "total"]
  }
} as const;
// </protocol-fields>

// tsc fails here when PROTOCOL_FIELDS and the message interfaces disagree on a kind or a field.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type FieldsByKind<U extends { kind: string }> = { [K in U["kind"]]: keyof Extract<U, { kind: K }> };
type TableFields<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer F)[] ? F : never };
type Holds<T extends true> = T;
export type ProtocolFieldsAgree = [
  Holds<Same<FieldsByKind<FrontendMessage>, TableFields<typeof PROTOCOL_FIELDS.frontend>>>,
  Holds<Same<FieldsByKind<KernelMessage>, TableFields<typeof PROTOCOL_FIELDS.kernel>>>,
];
