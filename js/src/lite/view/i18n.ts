// Built-in strings of the lite renderer. `options.locale` picks the language (as in ChatKit,
// navigator.language otherwise); anything without a translation falls back to English.

const en = {
  chat: "Chat",
  conversation: "Conversation",
  greeting: "What can I help with today?",
  placeholder: "Message the AI",
  send: "Send message",
  stop: "Stop generating",
  newChat: "New chat",
  history: "History",
  closeHistory: "Close history",
  you: "You",
  assistant: "Assistant",
  retry: "Retry",
  copy: "Copy",
  copied: "Copied",
  copyCode: "Copy code",
  goodResponse: "Good response",
  badResponse: "Bad response",
  feedbackThanks: "Thanks for your feedback",
  sources: "Sources",
  scrollToBottom: "Scroll to bottom",
  addFiles: "Add files",
  removeAttachment: "Remove {name}",
  uploading: "Uploading {name}…",
  uploadFailed: "Could not upload {name}: {error}",
  tooManyFiles: "You can attach at most {max} files.",
  fileTooLarge: "{name} is too large (limit {limit}).",
  fileTypeNotAccepted: "{name} is not an accepted file type.",
  mention: "Mention",
  mentionMenu: "Mentions",
  mentioned: "Mentioned",
  removeTag: "Remove {name}",
  commands: "Commands",
  tools: "Tools",
  clearTool: "Remove {tool}",
  model: "Model",
  noResults: "No results",
  searching: "Searching…",
  errorGeneric: "Something went wrong. Please try again.",
  errorStream: "An error occurred when generating a response.",
  threadLocked: "This conversation is locked.",
  threadClosed: "This conversation is closed.",
  historyEmpty: "No conversations yet",
  historyLoading: "Loading conversations…",
  loadMore: "Load more",
  rename: "Rename",
  renameThread: "Rename {title}",
  renameLabel: "New name",
  save: "Save",
  cancel: "Cancel",
  delete: "Delete",
  deleteThread: "Delete {title}",
  confirmDelete: "Delete this conversation?",
  untitled: "Untitled",
  loadingThread: "Loading conversation…",
  thinking: "Thinking…",
  thoughtFor: "Thought for {duration}",
  seconds: "{n} s",
  minutes: "{m} min {s} s",
  workingOn: "Working…",
  generatingImage: "Generating image…",
  generatedImage: "Generated image",
  imageBlocked: "Image from an unapproved domain was not loaded.",
  toolRunning: "Running {name}…",
  toolDone: "Ran {name}",
  toolFailed: "{name} failed",
  submit: "Submit",
  skip: "Skip",
  other: "Other",
  otherAnswer: "Your answer",
  skipped: "Skipped",
  answered: "Answered",
  searchedFor: "Searched for {query}",
  notice: "Notice",
  attachment: "Attachment",
};

export type Strings = typeof en;
export type StringKey = keyof Strings;

const de: Strings = {
  chat: "Chat",
  conversation: "Unterhaltung",
  greeting: "Wobei kann ich heute helfen?",
  placeholder: "Nachricht an die KI",
  send: "Nachricht senden",
  stop: "Generierung stoppen",
  newChat: "Neuer Chat",
  history: "Verlauf",
  closeHistory: "Verlauf schließen",
  you: "Du",
  assistant: "Assistent",
  retry: "Erneut versuchen",
  copy: "Kopieren",
  copied: "Kopiert",
  copyCode: "Code kopieren",
  goodResponse: "Gute Antwort",
  badResponse: "Schlechte Antwort",
  feedbackThanks: "Danke für dein Feedback",
  sources: "Quellen",
  scrollToBottom: "Nach unten scrollen",
  addFiles: "Dateien hinzufügen",
  removeAttachment: "{name} entfernen",
  uploading: "{name} wird hochgeladen …",
  uploadFailed: "{name} konnte nicht hochgeladen werden: {error}",
  tooManyFiles: "Du kannst höchstens {max} Dateien anhängen.",
  fileTooLarge: "{name} ist zu groß (Limit {limit}).",
  fileTypeNotAccepted: "{name} hat keinen zulässigen Dateityp.",
  mention: "Erwähnen",
  mentionMenu: "Erwähnungen",
  mentioned: "Erwähnt",
  removeTag: "{name} entfernen",
  commands: "Befehle",
  tools: "Werkzeuge",
  clearTool: "{tool} entfernen",
  model: "Modell",
  noResults: "Keine Ergebnisse",
  searching: "Suche …",
  errorGeneric: "Etwas ist schiefgelaufen. Bitte versuche es erneut.",
  errorStream: "Beim Erstellen einer Antwort ist ein Fehler aufgetreten.",
  threadLocked: "Diese Unterhaltung ist gesperrt.",
  threadClosed: "Diese Unterhaltung ist geschlossen.",
  historyEmpty: "Noch keine Unterhaltungen",
  historyLoading: "Unterhaltungen werden geladen …",
  loadMore: "Mehr laden",
  rename: "Umbenennen",
  renameThread: "{title} umbenennen",
  renameLabel: "Neuer Name",
  save: "Speichern",
  cancel: "Abbrechen",
  delete: "Löschen",
  deleteThread: "{title} löschen",
  confirmDelete: "Diese Unterhaltung löschen?",
  untitled: "Ohne Titel",
  loadingThread: "Unterhaltung wird geladen …",
  thinking: "Denkt nach …",
  thoughtFor: "{duration} nachgedacht",
  seconds: "{n} s",
  minutes: "{m} min {s} s",
  workingOn: "Arbeitet …",
  generatingImage: "Bild wird erstellt …",
  generatedImage: "Erstelltes Bild",
  imageBlocked: "Ein Bild von einer nicht freigegebenen Domain wurde nicht geladen.",
  toolRunning: "{name} läuft …",
  toolDone: "{name} ausgeführt",
  toolFailed: "{name} fehlgeschlagen",
  submit: "Absenden",
  skip: "Überspringen",
  other: "Andere",
  otherAnswer: "Deine Antwort",
  skipped: "Übersprungen",
  answered: "Beantwortet",
  searchedFor: "Gesucht nach {query}",
  notice: "Hinweis",
  attachment: "Anhang",
};

const catalogs: Record<string, Strings> = { en, de };

/** The language we have strings for: `de-DE` -> `de`, anything unknown -> `en`. */
export function resolveLocale(locale?: string | null): string {
  const wanted = locale || (typeof navigator !== "undefined" ? navigator.language : undefined) || "en";
  const lang = wanted.toLowerCase().split(/[-_]/)[0];
  return lang in catalogs ? lang : "en";
}

export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

export function translator(locale?: string | null): Translate {
  const strings = catalogs[resolveLocale(locale)];
  return (key, vars) => {
    let text = strings[key] ?? en[key] ?? key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
    }
    return text;
  };
}

/** "1.5 MB"-style size for messages about limits. */
export function formatBytes(bytes: number, locale?: string | null): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 && unit > 0 ? 1 : 0;
  let text: string;
  try {
    text = value.toLocaleString(resolveLocale(locale), { maximumFractionDigits: digits });
  } catch {
    text = value.toFixed(digits);
  }
  return `${text} ${units[unit]}`;
}
