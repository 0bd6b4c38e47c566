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
  cbBadPhone: "Please check the phone number, including the country code.",
  cbFailed: "We couldn't send your request. Please try again.",
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
  cbBadPhone: "Kontrollera telefonnumret.",
  cbFailed: "Vi kunde inte skicka din förfrågan. Försök igen.",
};

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
