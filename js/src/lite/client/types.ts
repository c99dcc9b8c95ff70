// The ChatKit wire protocol as the Python server (chatkit/types.py) speaks it. Only what the
// lite renderer reads is typed; unknown fields pass through untouched.
import type { Widgets } from "@openai/chatkit";

export type WidgetRoot = Widgets.WidgetRoot;

export interface Page<T> {
  data: T[];
  has_more?: boolean;
  after?: string | null;
}

export type ThreadStatus = { type: "active" } | { type: "locked"; reason?: string | null } | { type: "closed"; reason?: string | null };

export interface ThreadMetadata {
  id: string;
  title?: string | null;
  created_at: string;
  status?: ThreadStatus;
  allowed_image_domains?: string[] | null;
  metadata?: Record<string, unknown>;
}

export interface Thread extends ThreadMetadata {
  items: Page<ThreadItem>;
}

// ---- sources and annotations

export interface SourceBase {
  title: string;
  description?: string | null;
  timestamp?: string | null;
  group?: string | null;
}
export interface URLSource extends SourceBase {
  type: "url";
  url: string;
  attribution?: string | null;
}
export interface FileSource extends SourceBase {
  type: "file";
  filename: string;
}
export interface EntitySource extends SourceBase {
  type: "entity";
  id: string;
  icon?: string | null;
  label?: string | null;
  inline_label?: string | null;
  interactive?: boolean;
  data?: Record<string, unknown>;
}
export type Source = URLSource | FileSource | EntitySource;

export interface Annotation {
  type: "annotation";
  source: Source;
  index?: number | null;
}

export interface AssistantMessageContent {
  type: "output_text";
  text: string;
  annotations?: Annotation[];
}

// ---- user input

export interface UserMessageTextContent {
  type: "input_text";
  text: string;
}
export interface UserMessageTagContent {
  type: "input_tag";
  id: string;
  text: string;
  data?: Record<string, unknown>;
  group?: string | null;
  interactive?: boolean;
}
export type UserMessageContent = UserMessageTextContent | UserMessageTagContent;

export interface InferenceOptions {
  tool_choice?: { id: string } | null;
  model?: string | null;
}

export interface UserMessageInput {
  content: UserMessageContent[];
  attachments: string[];
  quoted_text?: string | null;
  inference_options: InferenceOptions;
}

export interface AttachmentUploadDescriptor {
  url: string;
  method: "POST" | "PUT";
  headers?: Record<string, string>;
}

export interface Attachment {
  type: "file" | "image";
  id: string;
  name: string;
  mime_type: string;
  preview_url?: string;
  upload_descriptor?: AttachmentUploadDescriptor | null;
  /** Older servers (chatkit < 1.5) put a bare URL here instead of `upload_descriptor`. */
  upload_url?: string | null;
  thread_id?: string | null;
}

// ---- tasks and workflows

interface BaseTask {
  status_indicator?: "none" | "loading" | "complete";
}
export interface CustomTask extends BaseTask {
  type: "custom";
  title?: string | null;
  icon?: string | null;
  content?: string | null;
}
export interface SearchTask extends BaseTask {
  type: "web_search";
  title?: string | null;
  title_query?: string | null;
  queries?: string[];
  sources?: URLSource[];
}
export interface ThoughtTask extends BaseTask {
  type: "thought";
  title?: string | null;
  content: string;
}
export interface FileTask extends BaseTask {
  type: "file";
  title?: string | null;
  sources?: FileSource[];
}
export interface ImageTask extends BaseTask {
  type: "image";
  title?: string | null;
}
export type Task = CustomTask | SearchTask | ThoughtTask | FileTask | ImageTask;

export type WorkflowSummary = { title: string; icon?: string | null } | { duration: number };

export interface Workflow {
  type: "custom" | "reasoning";
  tasks: Task[];
  summary?: WorkflowSummary | null;
  expanded?: boolean;
}

// ---- structured input

export interface StructuredInputAnswer {
  values?: string[];
  skipped?: boolean;
}
interface StructuredInputBase {
  id: string;
  question: string;
  answer?: StructuredInputAnswer | null;
}
export interface StructuredInputMultipleChoice extends StructuredInputBase {
  type: "multiple_choice";
  options: { value: string }[];
  multiple?: boolean;
}
export interface StructuredInputFreeform extends StructuredInputBase {
  type: "freeform";
  description?: string | null;
}
export type StructuredInput = StructuredInputMultipleChoice | StructuredInputFreeform;

export interface StructuredInputSubmission {
  status: "answered" | "skipped";
  answers: Record<string, { values: string[]; skipped: boolean }>;
}

// ---- thread items

interface ItemBase {
  id: string;
  thread_id: string;
  created_at: string;
}
export interface UserMessageItem extends ItemBase {
  type: "user_message";
  content: UserMessageContent[];
  attachments?: Attachment[];
  quoted_text?: string | null;
  inference_options?: InferenceOptions;
}
export interface AssistantMessageItem extends ItemBase {
  type: "assistant_message";
  content: AssistantMessageContent[];
}
export interface ClientToolCallItem extends ItemBase {
  type: "client_tool_call";
  status?: "pending" | "completed";
  call_id: string;
  name: string;
  arguments: Record<string, unknown>;
  output?: unknown;
}
export interface WidgetItem extends ItemBase {
  type: "widget";
  widget: WidgetRoot;
  copy_text?: string | null;
}
export interface GeneratedImage {
  id: string;
  url: string;
}
export interface GeneratedImageItem extends ItemBase {
  type: "generated_image";
  image?: GeneratedImage | null;
}
export interface StructuredInputItem extends ItemBase {
  type: "structured_input";
  status?: "pending" | "answered" | "skipped";
  inputs: StructuredInput[];
}
export interface TaskItem extends ItemBase {
  type: "task";
  task: Task;
}
export interface WorkflowItem extends ItemBase {
  type: "workflow";
  workflow: Workflow;
}
export interface EndOfTurnItem extends ItemBase {
  type: "end_of_turn";
}
export interface HiddenItem extends ItemBase {
  type: "hidden_context_item" | "sdk_hidden_context";
  content?: unknown;
}

export type ThreadItem =
  | UserMessageItem
  | AssistantMessageItem
  | ClientToolCallItem
  | WidgetItem
  | GeneratedImageItem
  | StructuredInputItem
  | TaskItem
  | WorkflowItem
  | EndOfTurnItem
  | HiddenItem;

// ---- item updates (ThreadItemUpdatedEvent.update)

export type ThreadItemUpdate =
  | { type: "assistant_message.content_part.added"; content_index: number; content: AssistantMessageContent }
  | { type: "assistant_message.content_part.text_delta"; content_index: number; delta: string }
  | {
      type: "assistant_message.content_part.annotation_added";
      content_index: number;
      annotation_index: number;
      annotation: Annotation;
    }
  | { type: "assistant_message.content_part.done"; content_index: number; content: AssistantMessageContent }
  | { type: "widget.streaming_text.value_delta"; component_id: string; delta: string; done: boolean }
  | { type: "widget.root.updated"; widget: WidgetRoot }
  | { type: "widget.component.updated"; component_id: string; component: Widgets.WidgetComponent }
  | { type: "workflow.task.added"; task_index: number; task: Task }
  | { type: "workflow.task.updated"; task_index: number; task: Task }
  | { type: "generated_image.updated"; image: GeneratedImage; progress?: number | null };

// ---- stream events

export type ThreadStreamEvent =
  | { type: "thread.created"; thread: Thread }
  | { type: "thread.updated"; thread: Thread }
  | { type: "thread.item.added"; item: ThreadItem }
  | { type: "thread.item.updated"; item_id: string; update: ThreadItemUpdate }
  | { type: "thread.item.done"; item: ThreadItem }
  | { type: "thread.item.removed"; item_id: string }
  | { type: "thread.item.replaced"; item: ThreadItem }
  | { type: "stream_options"; stream_options: { allow_cancel: boolean } }
  | { type: "progress_update"; icon?: string | null; text: string }
  | { type: "client_effect"; name: string; data?: Record<string, unknown> }
  | { type: "error"; code?: string; message?: string | null; allow_retry?: boolean }
  | { type: "notice"; level: "info" | "warning" | "danger"; message: string; title?: string | null };

/** What a widget action carries to the server (chatkit.actions.Action). */
export interface Action {
  type: string;
  payload?: unknown;
}

/** A widget's action config as the server sends it (chatkit.actions.ActionConfig). */
export interface ActionConfig extends Action {
  handler?: "client" | "server";
  loadingBehavior?: "auto" | "none" | "self" | "container";
  streaming?: boolean;
}

/** Request types that answer with an SSE stream (chatkit.types.StreamingReq). */
export const STREAMING_REQUESTS = [
  "threads.create",
  "threads.add_user_message",
  "threads.add_client_tool_output",
  "threads.add_structured_input",
  "threads.retry_after_item",
  "threads.custom_action",
] as const;
export type StreamingRequestType = (typeof STREAMING_REQUESTS)[number];

export type JsonRequestType =
  | "threads.get_by_id"
  | "threads.list"
  | "items.list"
  | "items.feedback"
  | "attachments.create"
  | "attachments.delete"
  | "threads.update"
  | "threads.delete"
  | "input.transcribe"
  | "threads.sync_custom_action";
