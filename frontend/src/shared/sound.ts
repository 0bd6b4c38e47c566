// Soft chimes made with WebAudio, so no app ships an audio file. Browsers keep
// an AudioContext suspended until the user has interacted with the page;
// `unlockAudio` on a user gesture resumes it, and a chime before any gesture
// simply stays silent.

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

/**
 * Plays sine notes one after another (140 ms apart), each fading in and out,
 * at most `peak` loud (0..1). False when the browser has no WebAudio.
 */
export function playNotes(freqs: number[], peak = 0.18): boolean {
  const c = context();
  if (!c) return false;
  if (c.state === "suspended") void c.resume().catch(() => undefined);
  const t0 = c.currentTime + 0.01;
  freqs.forEach((freq, i) => {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    const start = t0 + i * 0.14;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(peak, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.32);
    osc.connect(gain);
    gain.connect(c.destination);
    osc.start(start);
    osc.stop(start + 0.36);
  });
  return true;
}
