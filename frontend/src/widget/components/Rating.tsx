// After an agent closed the conversation: "How did we do?" — 1 to 5 stars and
// an optional comment, sent once (POST /widget/rating); then a thank-you. A
// new message reopens the conversation and the prompt goes away.

import { useState } from "preact/hooks";
import { fmt } from "../i18n";
import { asksRating } from "../store/state";
import { useWidget } from "./context";

export function Rating() {
  const w = useWidget();
  const s = w.state;
  const t = w.t;
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState("");
  if (s.closed && s.csat) {
    return (
      <div class="rating done" data-testid="widget-rating" role="status">
        <p data-testid="widget-rating-thanks">{t.rateThanks}</p>
      </div>
    );
  }
  if (!asksRating(s)) return null;
  const send = async () => {
    if (!score || sending) return;
    setSending(true);
    setError("");
    try {
      await w.rate(score, comment.trim());
    } catch {
      setError(t.rateFailed);
      setSending(false);
    }
  };
  return (
    <form
      class="rating"
      data-testid="widget-rating"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <fieldset>
        <legend>{t.rateTitle}</legend>
        <div class="stars">
          {[1, 2, 3, 4, 5].map((n) => (
            <button
              key={n}
              type="button"
              class={`star${n <= score ? " on" : ""}`}
              aria-pressed={n === score ? "true" : "false"}
              aria-label={fmt(t.rateStar, { n })}
              data-testid="widget-rating-star"
              data-value={String(n)}
              onClick={() => setScore(n)}
            >
              ★
            </button>
          ))}
        </div>
      </fieldset>
      {score ? (
        <>
          <label class="sr" for="fh-rate-comment">
            {t.rateComment}
          </label>
          <textarea
            id="fh-rate-comment"
            rows={2}
            maxLength={1000}
            placeholder={t.rateComment}
            data-testid="widget-rating-comment"
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
          />
          <button class="rate-send" type="submit" data-testid="widget-rating-submit" disabled={sending}>
            {t.rateSend}
          </button>
        </>
      ) : null}
      {error ? (
        <p class="err" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
