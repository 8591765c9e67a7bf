import { describe, expect, it } from 'vitest';
import type { Letter, MailStore } from '../../src/store/mail-store.js';

/** The behaviour every letter store must have; run against each backend. */
export function mailStoreContract(
  name: string,
  build: () => Promise<{ store: MailStore; reopen?: () => Promise<MailStore> }>,
): void {
  const letter = (id: string, text = `text of ${id}`, ts = Date.now()): Letter => ({
    id,
    from: 'peppa',
    to: 'George',
    text,
    ts,
  });

  describe(`${name} mail store`, () => {
    it('keeps letters per recipient, oldest first, and forgets delivered ones', async () => {
      const { store } = await build();
      for (const id of ['a', 'b', 'c']) expect(await store.put(letter(id), 'peppa', 'george')).toBe('stored');
      await store.put({ ...letter('x'), to: 'Suzy' }, 'peppa', 'suzy');
      const waiting = await store.pending('george', 0, 10);
      expect(waiting.map((l) => l.id)).toEqual(['a', 'b', 'c']);
      expect(waiting[0]).toMatchObject({ from: 'peppa', to: 'George', text: 'text of a' });
      expect(await store.countFor('george')).toBe(3);
      await store.markDelivered('george', ['a', 'c']);
      expect((await store.pending('george', 0, 10)).map((l) => l.id)).toEqual(['b']);
      expect(await store.countFor('suzy')).toBe(1);
      await store.close();
    });

    it('stores a retransmitted letter once', async () => {
      const { store } = await build();
      expect(await store.put(letter('same'), 'peppa', 'george')).toBe('stored');
      expect(await store.put(letter('same'), 'peppa', 'george')).toBe('duplicate');
      expect(await store.put(letter('same'), 'danny', 'george')).toBe('stored');
      expect(await store.countFor('george')).toBe(2);
      await store.close();
    });

    it('pages through a backlog by sequence', async () => {
      const { store } = await build();
      await Promise.all(Array.from({ length: 25 }, (_, i) => store.put(letter(`m${i}`), 'peppa', 'george')));
      const first = await store.pending('george', 0, 10);
      const second = await store.pending('george', first.at(-1)!.seq, 10);
      expect([...first, ...second].map((l) => l.id)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      await store.close();
    });

    it('claims a nick once', async () => {
      const { store } = await build();
      const record = { nick: 'George', secretHash: 'scrypt$1$1$1$x$y', createdAt: 1 };
      expect(await store.createAccount('george', record)).toBe(true);
      expect(await store.createAccount('george', { ...record, secretHash: 'other' })).toBe(false);
      expect(await store.getAccount('george')).toEqual(record);
      expect(await store.listAccountKeys()).toEqual(['george']);
      await store.close();
    });

    it('drops letters older than the retention time', async () => {
      const { store } = await build();
      await store.put(letter('old', 'old', 1000), 'peppa', 'george');
      await store.put(letter('new', 'new', Date.now()), 'peppa', 'george');
      expect(await store.purgeOlderThan(Date.now() - 60_000)).toBe(1);
      expect((await store.pending('george', 0, 10)).map((l) => l.id)).toEqual(['new']);
      await store.close();
    });

    it('keeps letters and accounts across a reopen when durable', async () => {
      const { store, reopen } = await build();
      if (!store.durable || !reopen) {
        await store.close();
        return;
      }
      await store.put(letter('kept'), 'peppa', 'george');
      await store.createAccount('george', { nick: 'George', secretHash: 'h', createdAt: 1 });
      await store.close();
      const again = await reopen();
      expect((await again.pending('george', 0, 10)).map((l) => l.id)).toEqual(['kept']);
      expect(await again.getAccount('george')).toMatchObject({ nick: 'George' });
      await again.close();
    });
  });
}
