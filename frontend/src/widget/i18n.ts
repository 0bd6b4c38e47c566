// Widget copy in English and Swedish. The language comes from `data-lang` on
// the script tag, else from navigator.language.

const en = {
  openChat: "Open chat",
  closeChat: "Close chat",
  unreadOne: "1 new message",
  unreadMany: "{n} new messages",
  title: "Chat with us",
  online: "We're online",
  offline: "We'll get back to you",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  unavailable: "Chat is unavailable right now",
  greetingOnline: "Hi there! Ask us anything, we usually reply within a few minutes.",
  greetingOffline: "Leave us a message and we'll get back to you as soon as we can.",
  log: "Conversation",
  inputLabel: "Message",
  placeholder: "Write a message…",
  send: "Send",
  you: "You",
  support: "Support",
  sending: "Sending…",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  retry: "Not sent",
  "sent-again": "Sent again",
  failed: "Couldn't send",
  retryButton: "Retry",
  typing: "{name} is typing…",
  tooLong: "{n} characters too long",
  poweredBy: "Live chat by Flow Hub",
  cbOffer: "Nobody is available right now. We can call you back instead.",
  cbPrefer: "Prefer a phone call?",
  cbRequest: "Request a callback",
  cbTitle: "We'll call you back",
  cbPhone: "Phone number",
  cbPhoneHint: "e.g. +1 415 555 0100",
  cbWindow: "When suits you?",
  asap: "As soon as possible",
  morning: "Morning",
  afternoon: "Afternoon",
  evening: "Evening",
  cbReason: "What is it about? (optional)",
  cbSubmit: "Call me back",
  cbCancel: "Cancel",
  cbSending: "Sending…",
  cbDone: "Callback requested: we'll call {phone} ({window}).",
  cbCalling: "We're calling you now on {phone}.",
  cbRetrying: "We couldn't reach you on {phone}. We'll try again soon.",
  cbCompleted: "Your callback is done.",
  cbUnreached: "We couldn't reach you on {phone}.",
  cbCancelled: "Your callback was cancelled.",
  cbAgain: "Request another callback",
  cbBadPhone: "Please check the phone number, including the country code.",
  cbFailed: "We couldn't send your request. Please try again.",
  cbCountry: "Country",
  queuePlace: "You're number {n} in the queue. Someone will be with you shortly.",
  queueNext: "You're next in the queue.",
};

export type Strings = typeof en;

const sv: Strings = {
  openChat: "Öppna chatten",
  closeChat: "Stäng chatten",
  unreadOne: "1 nytt meddelande",
  unreadMany: "{n} nya meddelanden",
  title: "Chatta med oss",
  online: "Vi är online",
  offline: "Vi återkommer till dig",
  connecting: "Ansluter…",
  reconnecting: "Återansluter…",
  unavailable: "Chatten är inte tillgänglig just nu",
  greetingOnline: "Hej! Fråga oss vad du vill, vi svarar oftast inom några minuter.",
  greetingOffline: "Lämna ett meddelande så återkommer vi så snart vi kan.",
  log: "Konversation",
  inputLabel: "Meddelande",
  placeholder: "Skriv ett meddelande…",
  send: "Skicka",
  you: "Du",
  support: "Support",
  sending: "Skickar…",
  sent: "Skickat",
  delivered: "Levererat",
  read: "Läst",
  retry: "Inte skickat",
  "sent-again": "Skickat igen",
  failed: "Kunde inte skickas",
  retryButton: "Försök igen",
  typing: "{name} skriver…",
  tooLong: "{n} tecken för långt",
  poweredBy: "Livechatt från Flow Hub",
  cbOffer: "Ingen är tillgänglig just nu. Vi kan ringa upp dig i stället.",
  cbPrefer: "Vill du hellre bli uppringd?",
  cbRequest: "Be om att bli uppringd",
  cbTitle: "Vi ringer upp dig",
  cbPhone: "Telefonnummer",
  cbPhoneHint: "t.ex. 070 123 45 67",
  cbWindow: "När passar det?",
  asap: "Så snart som möjligt",
  morning: "Förmiddag",
  afternoon: "Eftermiddag",
  evening: "Kväll",
  cbReason: "Vad gäller det? (valfritt)",
  cbSubmit: "Ring upp mig",
  cbCancel: "Avbryt",
  cbSending: "Skickar…",
  cbDone: "Uppringning bokad: vi ringer {phone} ({window}).",
  cbCalling: "Vi ringer dig nu på {phone}.",
  cbRetrying: "Vi nådde dig inte på {phone}. Vi försöker igen snart.",
  cbCompleted: "Din uppringning är klar.",
  cbUnreached: "Vi nådde dig inte på {phone}.",
  cbCancelled: "Din uppringning avbröts.",
  cbAgain: "Be om en ny uppringning",
  cbBadPhone: "Kontrollera telefonnumret.",
  cbFailed: "Vi kunde inte skicka din förfrågan. Försök igen.",
  cbCountry: "Land",
  queuePlace: "Du är nummer {n} i kön. Någon hjälper dig strax.",
  queueNext: "Du är näst på tur.",
};

/**
 * System lines by their code (chalicelib/live/lines.py): the widget words them in its own
 * language; a code it does not know shows the hub's English text.
 */
const LINES: Record<"en" | "sv", Record<string, string>> = {
  en: {},
  sv: {
    agent_joined: "{name} anslöt till samtalet",
    agent_took_over: "{name} tog över samtalet",
    agent_assigned: "{name} hjälper dig nu",
    agent_left: "{name} är inte längre tillgänglig; du är tillbaka i kön och nästa lediga medarbetare svarar",
    conversation_closed: "{name} avslutade samtalet",
    callback_requested: "Uppringning bokad ({window}). Vi ringer dig.",
    callback_calling: "{name} ringer dig nu.",
    callback_retry: "Vi försökte ringa men kom inte fram. Vi försöker igen om {minutes} minuter.",
    callback_failed: "Vi nådde dig inte per telefon. Svara här så tar vi det vidare.",
    callback_completed: "Uppringningen är klar.",
    callback_cancelled: "Uppringningen är avbruten.",
    ticket_opened: "Vi har öppnat ärende #{number} för dig; vi följer upp här.",
  },
};

const SV_WINDOWS: Record<string, string> = {
  asap: "så snart som möjligt",
  morning: "förmiddag",
  afternoon: "eftermiddag",
  evening: "kväll",
};

/** A system line in the widget's language, or null to show the hub's own text. */
export function systemLine(lang: "en" | "sv", code: string | undefined, params: Record<string, string> | undefined): string | null {
  const template = code ? LINES[lang][code] : undefined;
  if (!template) return null;
  const vars: Record<string, string> = { ...(params || {}) };
  if (lang === "sv" && vars.window) vars.window = SV_WINDOWS[vars.window] || vars.window;
  return fmt(template, vars);
}

/** The visitor's region from their locale ("sv-SE" → "SE"), else null. */
export function localeRegion(locale: string | undefined): string | null {
  const part = (locale || "").split(/[-_]/)[1] || "";
  return /^[A-Za-z]{2}$/.test(part) ? part.toUpperCase() : null;
}

/** Countries the picker offers first; any ISO 3166 code the hub knows is accepted. */
export const COUNTRIES: [string, string][] = [
  ["SE", "Sverige / Sweden (+46)"],
  ["NO", "Norge / Norway (+47)"],
  ["DK", "Danmark / Denmark (+45)"],
  ["FI", "Suomi / Finland (+358)"],
  ["DE", "Deutschland / Germany (+49)"],
  ["GB", "United Kingdom (+44)"],
  ["IE", "Ireland (+353)"],
  ["NL", "Nederland / Netherlands (+31)"],
  ["FR", "France (+33)"],
  ["ES", "España / Spain (+34)"],
  ["US", "United States (+1)"],
  ["CA", "Canada (+1)"],
];

export function pickLang(explicit: string | null | undefined): "en" | "sv" {
  const wanted = (explicit || (typeof navigator !== "undefined" ? navigator.language : "") || "en").toLowerCase();
  return wanted.startsWith("sv") ? "sv" : "en";
}

export function strings(lang: "en" | "sv"): Strings {
  return lang === "sv" ? sv : en;
}

export function fmt(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in vars ? String(vars[k]) : ""));
}
