// The desk's pure rules: when the composer's `/` picker is open, which canned
// replies it lists and what inserting one does; how the agent's browser
// language names a phone region; what the customer panel says of a browser.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CannedReplyView } from "../src/shared/types";
import { customerWord, fillPlaceholders, filterReplies, insertReply, slashQuery } from "../src/agent/canned";
import { browserRegion } from "../src/agent/desk";
import { browserOf } from "../src/agent/components/CustomerCard";

function reply(shortcut: string, title = shortcut, text = `${shortcut} text`): CannedReplyView {
  return { id: `cr_${shortcut}`, shortcut, title, text, updated_at: "", updated_by: "Ana" };
}

test("the picker opens on a / at the start or after a space, and follows the word being typed", () => {
  assert.deepEqual(slashQuery("/", 1), { start: 0, end: 1, query: "" });
  assert.deepEqual(slashQuery("/Ref", 4), { start: 0, end: 4, query: "ref" });
  assert.deepEqual(slashQuery("Thanks! /ref", 12), { start: 8, end: 12, query: "ref" });
  assert.equal(slashQuery("and/or", 6), null, "a slash inside a word");
  assert.equal(slashQuery("/ref done", 9), null, "the word ended");
  assert.equal(slashQuery("see https://x.example/a", 23), null);
  assert.deepEqual(slashQuery("/re later", 3), { start: 0, end: 3, query: "re" }, "the caret decides, not the end of the text");
});

test("replies whose shortcut starts with the query come first, then titles and texts containing it", () => {
  const all = [reply("refund", "Refund policy"), reply("hello", "Greeting", "Hi there, about your refund"), reply("bye"), reply("ref-late", "Late delivery")];
  assert.deepEqual(filterReplies(all, "ref").map((r) => r.shortcut), ["ref-late", "refund", "hello"]);
  assert.deepEqual(filterReplies(all, "").map((r) => r.shortcut), ["bye", "hello", "ref-late", "refund"]);
  assert.deepEqual(filterReplies(all, "zzz"), []);
  assert.equal(filterReplies(Array.from({ length: 20 }, (_, i) => reply(`r${i}`)), "r").length, 8);
});

test("placeholders are filled; a nameless visitor is greeted as 'there'", () => {
  assert.equal(fillPlaceholders("Hi {customer.name}, {agent.name} here. {customer.name}!", "Kim", "Ana"), "Hi Kim, Ana here. Kim!");
  assert.equal(fillPlaceholders("Hi {customer.name}", "Visitor", "Ana"), "Hi there");
  assert.equal(customerWord(undefined), "there");
  assert.equal(customerWord("  Bo "), "Bo");
});

test("inserting replaces the /word and puts the caret after the reply", () => {
  const text = "Sure! /ref and more";
  const at = slashQuery(text, 10)!;
  assert.deepEqual(insertReply(text, at, "Refunds take 5 days."), { text: "Sure! Refunds take 5 days. and more", caret: 26 });
});

test("the phone region is the browser language's region", () => {
  assert.equal(browserRegion("sv-SE"), "SE");
  assert.equal(browserRegion("en_us"), "US");
  assert.equal(browserRegion("en"), undefined);
  assert.equal(browserRegion(undefined), undefined);
});

test("the customer panel names the browser and the system", () => {
  assert.equal(browserOf("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"), "Safari on macOS");
  assert.equal(browserOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0"), "Edge on Windows");
  assert.equal(browserOf("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"), "Firefox on Linux");
  assert.equal(browserOf(""), "");
});
