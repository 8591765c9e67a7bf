import type { ChatEvent } from './events.js';

/**
 * How a room event reads as one line of text: what plain clients (nc, telnet, the
 * tutorial's programs) receive, and what a rocket prints in a terminal.
 */
export function renderEvent(event: ChatEvent): string | undefined {
  switch (event.type) {
    case 'message': {
      if (event.stored) {
        const when = new Date(event.ts).toISOString().replace('T', ' ').slice(0, 16);
        return `[letter from ${event.from}, ${when} UTC] ${event.text}`;
      }
      // "<peppa -> george> hi": both ends of a private message see who it was between.
      const who = event.to !== undefined ? `${event.from} -> ${event.to}` : event.from;
      return event.action ? `* ${who} ${event.text}` : `<${who}> ${event.text}`;
    }
    case 'join':
      return `*** ${event.nick} joined`;
    case 'leave':
      return `*** ${event.nick} left${event.reason ? ` (${event.reason})` : ''}`;
    case 'nick':
      return `*** ${event.from} is now known as ${event.to}`;
    case 'info':
      return `*** ${event.text}`;
    case 'error':
      return `!!! ${event.text}`;
    case 'who':
      return `*** In the room (${event.nicks.length}): ${event.nicks.join(', ')}`;
    case 'welcome':
      return `*** You are ${event.nick} in ${event.room}; in the room: ${event.members.join(', ')}`;
    case 'bye':
      return `*** ${event.text}`;
    case 'stored':
      return `*** your letter to ${event.to} is waiting for them (id ${event.id})`;
    case 'login':
      return event.registered
        ? `*** ${event.nick} is registered to you now: log in with it and its secret next time`
        : `*** logged in as ${event.nick}; ${event.waiting === 0 ? 'no letters waiting' : `${event.waiting} letter(s) waiting`}`;
    case 'inbox-end':
    case 'ack':
      return undefined;
  }
}
