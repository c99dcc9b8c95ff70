// What the composer's parts need from the chat that owns them.
import type { ChatKitOptions } from "@openai/chatkit";
import type { ChatClient } from "../../client/client";
import type { Attachment, UserMessageContent } from "../../client/types";
import type { Translate } from "../i18n";

export type LiteOptions = Omit<ChatKitOptions, "api">;

export interface ComposerSubmission {
  content: UserMessageContent[];
  attachments: Attachment[];
  toolId: string | null;
  modelId: string | null;
}

export interface ComposerHost {
  t(): Translate;
  options(): LiteOptions;
  client: ChatClient;
  submit(submission: ComposerSubmission): void;
  stop(): void;
  toolChange(toolId: string | null): void;
}
