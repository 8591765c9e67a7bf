import { describe, expect, it } from 'vitest';
import { Mailroom } from '../../../src/chat/mailroom.js';
import type { Member } from '../../../src/chat/member.js';
import type { RenderedBatch, RenderedEvent } from '../../../src/chat/rendered-event.js';
import { BATCH_ROOM_SIZE, Room } from '../../../src/chat/room.js';
import type { ByeEvent, ChatEvent, MessageEvent } from '../../../src/protocol/events.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

/** An in-memory member: records what it receives. */
class FakeMember implements Member {
  nick = '';
  readonly label = 'fake';
  readonly events: ChatEvent[] = [];
  readonly lines: string[] = [];
  goodbye: ByeEvent | undefined;
  deliver(event: ChatEvent, rendered: RenderedEvent): void {
    this.events.push(event);
    const text = rendered.text();
    if (text !== undefined) this.lines.push(text);
  }
  account?: string;
  deliverLetter(event: MessageEvent, rendered: RenderedEvent, delivered: () => void): void {
    this.deliver(event, rendered);
    delivered();
  }
  whenWritable(): Promise<void> {
    return Promise.resolve();
  }
  close(goodbye: ByeEvent): void {
    this.goodbye = goodbye;
  }
}

function roomWith(...nicks: string[]): { room: Room; members: FakeMember[] } {
  const room = new Room({ name: 'test' });
  const members = nicks.map((nick) => {
    const m = new FakeMember();
    room.attach(m);
    room.join(m, nick);
    return m;
  });
  for (const m of members) m.events.length = 0;
  for (const m of members) m.lines.length = 0;
  return { room, members };
}

describe('Room', () => {
  it('gives newcomers guest names and announces joins to the others', () => {
    const { room, members } = roomWith('george');
    const newcomer = new FakeMember();
    room.attach(newcomer);
    expect(newcomer.nick).toMatch(/^guest-\d+$/);
    room.join(newcomer);
    expect(members[0]!.lines).toEqual([`*** ${newcomer.nick} joined`]);
    expect(room.who()).toEqual(['george', newcomer.nick]);
  });

  it('delivers a message to everyone but its sender, with the sender nick', () => {
    const { room, members } = roomWith('george', 'peppa', 'suzy');
    const [george, peppa, suzy] = members;
    const said = room.input(peppa!, 'hello everyone');
    expect(said).toMatchObject({ type: 'message', from: 'peppa', text: 'hello everyone' });
    expect(george!.lines).toEqual(['<peppa> hello everyone']);
    expect(suzy!.lines).toEqual(['<peppa> hello everyone']);
    expect(peppa!.lines).toEqual([]);
  });

  it('keeps a /msg between its two ends', () => {
    const { room, members } = roomWith('george', 'peppa', 'suzy');
    const [george, peppa, suzy] = members;
    room.input(peppa!, '/msg George secret plan');
    expect(george!.events).toMatchObject([
      { type: 'message', from: 'peppa', to: 'george', text: 'secret plan' },
    ]);
    expect(peppa!.events).toHaveLength(1);
    expect(suzy!.events).toEqual([]);
  });

  it('refuses a /msg to nobody with a clear error', () => {
    const { room, members } = roomWith('peppa');
    room.input(members[0]!, '/msg danny hi');
    expect(members[0]!.events).toMatchObject([
      { type: 'error', text: expect.stringMatching(/nobody called danny/) },
    ]);
  });

  it('renames with /nick, refusing taken, look-alike and invalid nicks', () => {
    const { room, members } = roomWith('george', 'peppa');
    const [george, peppa] = members;
    room.input(peppa!, '/nick GEORGE');
    room.input(peppa!, '/nick ｇｅｏｒｇｅ');
    room.input(peppa!, '/nick bad\u001bnick');
    expect(peppa!.nick).toBe('peppa');
    expect(peppa!.events.map((e) => e.type)).toEqual(['error', 'error', 'error']);
    room.input(peppa!, '/nick pig');
    expect(george!.lines).toEqual(['*** peppa is now known as pig']);
    expect(room.who()).toEqual(['george', 'pig']);
  });

  it('refuses a nick that looks like someone here, registered or not, until they leave', () => {
    const { room, members } = roomWith('george', 'peppa');
    const [george, peppa] = members;
    room.input(peppa!, '/nick g\u0435orge'); // Cyrillic е
    expect(peppa!.nick).toBe('peppa');
    expect(peppa!.lines.at(-1)).toMatch(/looks too much like george, who is here/);
    room.leave(george!);
    room.input(peppa!, '/nick g\u0435orge');
    expect(peppa!.nick).toBe('g\u0435orge');
  });

  it('renders /me as an action', () => {
    const { room, members } = roomWith('george', 'peppa');
    room.input(members[1]!, '/me jumps in a muddy puddle');
    expect(members[0]!.lines).toEqual(['* peppa jumps in a muddy puddle']);
  });

  it('announces a leave once and forgets the nick', () => {
    const { room, members } = roomWith('george', 'peppa');
    room.leave(members[1]!, 'connection reset by peer');
    room.leave(members[1]!, 'again');
    expect(members[0]!.lines).toEqual(['*** peppa left (connection reset by peer)']);
    expect(room.who()).toEqual(['george']);
  });

  it('says goodbye to everyone when it closes', () => {
    const { room, members } = roomWith('george', 'peppa');
    room.close();
    expect(members.map((m) => m.goodbye?.text)).toEqual([
      'The room is closing. Goodbye',
      'The room is closing. Goodbye',
    ]);
    expect(room.size).toBe(0);
  });

  it('makes control characters in messages harmless', () => {
    const { room, members } = roomWith('george', 'peppa');
    room.input(members[1]!, 'hi\u001b[31m red');
    expect(members[0]!.lines).toEqual(['<peppa> hi^[[31m red']);
  });

  it('encodes a broadcast once per encoding, not once per member', () => {
    const { room, members } = roomWith('george', 'peppa', 'suzy');
    const seen = new Set<Buffer | undefined>();
    for (const m of members) {
      m.deliver = (_event, rendered) => {
        seen.add(rendered.bytes('gbk'));
      };
    }
    room.input(members[0]!, '你好');
    expect(seen.size).toBe(1);
  });
});

describe('a room with letters', () => {
  it('says goodbye on closing to a member whose letters are still being handed over', async () => {
    const mailroom = await Mailroom.open(new MemoryStore());
    const room = new Room({ name: 'test', mailroom });
    // A session says its goodbye through the room, as StreamSession does; this one's
    // connection never drains, so the hand-over of its letters stays in progress.
    class StalledSession extends FakeMember {
      override whenWritable(): Promise<void> {
        return new Promise(() => {});
      }
      override close(goodbye: ByeEvent): void {
        room.sendTo(this, goodbye);
      }
    }
    const george = new StalledSession();
    room.attach(george);
    room.join(george, 'george');
    await room.login(george, 'george', 'muddy puddles', true);
    room.leave(george);
    const sender = new FakeMember();
    room.attach(sender);
    room.join(sender, 'peppa');
    room.input(sender, '/msg george dinner at 6');
    await waitFor(async () => (await mailroom.count('george')) === 1);

    const back = new StalledSession();
    room.attach(back);
    void room.login(back, 'george', 'muddy puddles', false);
    await waitFor(() => back.events.some((e) => e.type === 'message'));
    room.input(sender, 'said while george reads his letters'); // held for him
    room.close();
    expect(back.events.map((e) => e.type)).toEqual(['login', 'message', 'message', 'bye']);
    expect(back.lines.at(-2)).toContain('said while george reads his letters');
  });
});

describe('registered look-alikes', () => {
  it('refuses a look-alike of a registered nick, but not a nick that is registered itself', async () => {
    // Two accounts made before "rn" read as "m": each owner can still use their own.
    const store = new MemoryStore();
    for (const nick of ['mike', 'rnike'])
      await store.createAccount(nick, { nick, secretHash: 'scrypt$x', createdAt: Date.now() });
    const mailroom = await Mailroom.open(store);
    expect(mailroom.lookalikeOf('rnike')).toBeUndefined();
    expect(mailroom.lookalikeOf('mike')).toBeUndefined();
    expect(mailroom.lookalikeOf('rnikë')).toBeDefined();
    expect(mailroom.lookalikeOf('MIKE')).toBeUndefined(); // the same nick, not a look-alike
  });
});

async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
  if (!(await check())) throw new Error('condition never became true');
}

describe('nick look-alikes', () => {
  it('folds letters that look the same on screen', async () => {
    const { nickSkeleton } = await import('../../../src/chat/nicknames.js');
    expect(nickSkeleton('gеorge')).toBe(nickSkeleton('george')); // Cyrillic е
    expect(nickSkeleton('ＧＥＯＲＧＥ')).toBe(nickSkeleton('george')); // full width
    expect(nickSkeleton('geᴏʀge')).toBe(nickSkeleton('george')); // small capitals
    expect(nickSkeleton('geoгge')).toBe(nickSkeleton('george')); // Cyrillic г
    expect(nickSkeleton('rnike')).toBe(nickSkeleton('mike')); // r n read as m
    expect(nickSkeleton('georgé')).toBe(nickSkeleton('george')); // an accent
    expect(nickSkeleton('Zoë')).toBe(nickSkeleton('zoe'));
    expect(nickSkeleton('राम')).not.toBe(nickSkeleton('रम')); // a vowel sign is not an accent
    expect(nickSkeleton('pepp4')).not.toBe(nickSkeleton('peppa'));
  });
});

describe('a crowded room', () => {
  it('tells renames in one summary line too, and each renamer its own', async () => {
    const { vi } = await import('vitest');
    vi.useFakeTimers();
    try {
      const room = new Room({ name: 'test' });
      const members = Array.from({ length: 120 }, () => {
        const m = new FakeMember();
        room.attach(m);
        room.join(m);
        return m;
      });
      vi.advanceTimersByTime(1100);
      await new Promise((resolve) => process.nextTick(resolve));
      const [watcher, first, second] = members as [FakeMember, FakeMember, FakeMember];
      watcher.lines.length = 0;
      const firstGuest = first.nick;
      room.input(first, '/nick carol');
      room.input(second, '/nick dave');
      expect(first.lines).toContain(`*** ${firstGuest} is now known as carol`);
      expect(watcher.lines.filter((l) => l.includes('is now known as'))).toEqual([]);
      vi.advanceTimersByTime(1100);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(watcher.lines).toContain(
        `*** ${firstGuest} -> carol, guest-3 -> dave changed their nick; /who lists everyone`,
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('announces joins in one summary line a second instead of one line per join', async () => {
    const { vi } = await import('vitest');
    vi.useFakeTimers();
    try {
      const room = new Room({ name: 'test' });
      const watcher = new FakeMember();
      room.attach(watcher);
      room.join(watcher, 'watcher');
      for (let i = 0; i < 150; i++) {
        const m = new FakeMember();
        room.attach(m);
        room.join(m);
      }
      const joinLines = watcher.lines.filter((l) => l.endsWith(' joined'));
      // the first hundred are announced one by one; the crowd after that in a summary
      expect(joinLines.length).toBeLessThanOrEqual(101);
      vi.advanceTimersByTime(1100);
      await new Promise((resolve) => process.nextTick(resolve)); // big rooms send broadcasts per tick
      const summary = watcher.lines.find((l) => /and \d+ more joined; \/who lists everyone/.test(l));
      expect(summary).toBeDefined();
      expect(room.who()).toHaveLength(151);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** A member that takes batches, as stream connections do; it records the batched bytes. */
class BatchingMember extends FakeMember {
  batches = 0;
  deliverBatch(batch: RenderedBatch): void {
    this.batches++;
    for (const line of batch.bytes('utf8').toString('utf8').split('\n').slice(0, -1)) this.lines.push(line);
  }
}

describe('broadcasts in a big room', () => {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  /** `size` members, user0, user1, ..., in `room`, with what they heard while joining forgotten. */
  async function fill(
    room: Room,
    size: number,
    make: (i: number) => FakeMember = () => new BatchingMember(),
  ): Promise<FakeMember[]> {
    const members = Array.from({ length: size }, (_, i) => {
      const m = make(i);
      room.attach(m);
      room.join(m, `user${i}`);
      return m;
    });
    await tick();
    for (const m of members) m.lines.length = 0;
    return members;
  }

  it('arrive in one batch per event-loop turn, in order, and never before or after what surrounds them', async () => {
    const room = new Room({ name: 'test' });
    const members = await fill(room, BATCH_ROOM_SIZE + 5, (i) =>
      i === 1 ? new FakeMember() : new BatchingMember(),
    );
    const [alice, plain, bob] = members as [BatchingMember, FakeMember, BatchingMember];

    room.input(alice, 'one');
    room.input(alice, 'two');
    room.input(alice, '/msg user2 psst'); // a private line keeps its place after the broadcasts
    room.input(alice, 'three');
    const late = new BatchingMember();
    room.attach(late); // came after "three": must not get it
    await tick();

    expect(bob.lines).toEqual(['<user0> one', '<user0> two', '<user0 -> user2> psst', '<user0> three']);
    expect(bob.batches).toBe(1); // one + two together; the /msg cut it, and three came alone
    expect(plain.lines).toEqual(['<user0> one', '<user0> two', '<user0> three']); // one by one
    expect(alice.lines).toEqual(['<user0 -> user2> psst']); // not its own lines
    expect(late.lines).toEqual([]);
  });

  it('still reach a member that leaves in the same turn', async () => {
    const room = new Room({ name: 'test' });
    const [alice, bob] = (await fill(room, BATCH_ROOM_SIZE + 1)) as [BatchingMember, BatchingMember];
    room.input(alice, 'bye bob');
    room.leave(bob);
    await tick();
    expect(bob.lines).toEqual(['<user0> bye bob']);
  });

  it('have a rename out before /nick returns, so an ack cannot overtake it', async () => {
    // Exactly BATCH_ROOM_SIZE members: broadcasts are batched, but the room is not crowded
    // yet, so the rename goes out as its own event rather than in a summary.
    const room = new Room({ name: 'test' });
    const [alice, bob] = (await fill(room, BATCH_ROOM_SIZE)) as [BatchingMember, BatchingMember];
    room.input(alice, 'first');
    room.input(alice, '/nick alicia');
    // Synchronously, as the session would write its ack right here.
    expect(alice.lines).toEqual(['*** user0 is now known as alicia']);
    expect(bob.lines).toEqual(['<user0> first', '*** user0 is now known as alicia']);
  });

  it('keep a batch whole when a member leaves while it is handed over', async () => {
    const room = new Room({ name: 'test' });
    // The 50th member leaves (a slow reader dropped) when the batch reaches it, which
    // takes the room under BATCH_ROOM_SIZE.
    class LeavesOnBatch extends BatchingMember {
      override deliverBatch(batch: RenderedBatch): void {
        super.deliverBatch(batch);
        room.leave(this, 'too slow');
      }
    }
    const members = await fill(room, BATCH_ROOM_SIZE, (i) =>
      i === 50 ? new LeavesOnBatch() : new BatchingMember(),
    );
    const [alice, bob] = members as [BatchingMember, BatchingMember];
    const last = members.at(-1) as BatchingMember;
    room.input(alice, 'one');
    room.input(alice, 'two');
    await tick();
    await tick();
    const expected = ['<user0> one', '<user0> two', '*** user50 left (too slow)'];
    expect(bob.lines).toEqual(expected);
    expect(last.lines).toEqual(expected);
  });
});
