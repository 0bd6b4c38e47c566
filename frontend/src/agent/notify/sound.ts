// A short chime made with WebAudio, so the dashboard ships no audio file.
// Browsers keep an AudioContext suspended until the user interacts with the
// page: `unlock` runs on the first click or key press and resumes it.

import type { AlertKind } from "./rules";

type AudioCtor = typeof AudioContext;

let ctx: AudioContext | null = null;

function context(): AudioContext | null {
  if (ctx) return ctx;
  const C: AudioCtor | undefined = window.AudioContext || (window as unknown as { webkitAudioContext?: AudioCtor }).webkitAudioContext;
  if (!C) return null;
  try {
    ctx = new C();
  } catch {
    return null;
  }
  return ctx;
}

/** Resumes audio after a user gesture (browsers' autoplay rule). */
export function unlockAudio(): void {
  const c = context();
  if (c && c.state === "suspended") void c.resume().catch(() => undefined);
}

// Two soft sine notes; an overdue callback gets a lower, more insistent pair.
const NOTES: Record<AlertKind, number[]> = {
  new_chat: [660, 990],
  reply: [880, 1175],
  mention: [988, 1319],
  overdue: [440, 440],
  assigned: [784, 1047],
};

/** Plays the chime for one kind of alert; false when the browser has no WebAudio. */
export function chime(kind: AlertKind): boolean {
  const c = context();
  if (!c) return false;
  if (c.state === "suspended") void c.resume().catch(() => undefined);
  const t0 = c.currentTime + 0.01;
  NOTES[kind].forEach((freq, i) => {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    const start = t0 + i * 0.14;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.18, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.32);
    osc.connect(gain);
    gain.connect(c.destination);
    osc.start(start);
    osc.stop(start + 0.36);
  });
  return true;
}
