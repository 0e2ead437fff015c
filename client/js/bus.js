// The seam between app.js (the meeting's life cycle, media) and the meeting features that are
// messages only (participants and moderation, lobby, chat, votes). A feature module registers
// for the server messages it handles and for the life-cycle events, and sends with send(); it
// never imports app.js. app.js emits the events and dispatches what it does not handle itself.

const handlers = new Map(); // message type -> [fn(msg)]
const listeners = new Map(); // event name -> [fn(detail)]
let sender = null;

/** fn(msg) is called for every server message of this type. */
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(fn);
}

/** Life-cycle events: 'joined' {self, role, room, participants}, 'participant-joined' {participant},
 *  'participant-left' {id, reason}, 'left' (the meeting screen closed), 'error' (a server error
 *  message, before app.js's own handling). */
export function listen(event, fn) {
  if (!listeners.has(event)) listeners.set(event, []);
  listeners.get(event).push(fn);
}

/** Sends a message to the server (dropped while not connected). Returns false when dropped. */
export function send(msg) {
  return sender ? sender(msg) !== false : false;
}

// ---- used by app.js only ----

export function setSender(fn) { sender = fn; }

/** true when a feature handled the message. */
export function dispatch(msg) {
  const fns = handlers.get(msg.type);
  if (!fns) return false;
  for (const fn of fns) fn(msg);
  return true;
}

export function emit(event, detail) {
  for (const fn of listeners.get(event) || []) fn(detail);
}
