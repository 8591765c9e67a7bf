import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/protocol/commands.js';
import { sanitizeText } from '../../../src/protocol/sanitize.js';

describe('parseCommand', () => {
  it('reads each room command', () => {
    expect(parseCommand('hello')).toEqual({ name: 'say', text: 'hello' });
    expect(parseCommand('/nick peppa')).toEqual({ name: 'nick', nick: 'peppa' });
    expect(parseCommand('/WHO')).toEqual({ name: 'who' });
    expect(parseCommand('/msg george are you there?')).toEqual({
      name: 'msg',
      to: 'george',
      text: 'are you there?',
    });
    expect(parseCommand('/me waves')).toEqual({ name: 'me', text: 'waves' });
    expect(parseCommand('/encoding gbk')).toEqual({ name: 'encoding', encoding: 'gbk' });
    expect(parseCommand('/quit see you')).toEqual({ name: 'quit', text: 'see you' });
    expect(parseCommand('/help')).toEqual({ name: 'help' });
  });

  it('sends a line starting with // as a message with one slash', () => {
    expect(parseCommand('//etc/hosts is a file')).toEqual({ name: 'say', text: '/etc/hosts is a file' });
  });

  it('explains how to use a command given wrongly', () => {
    expect(parseCommand('/msg george')).toEqual({ name: 'invalid', text: 'usage: /msg NAME TEXT' });
    expect(parseCommand('/nick two words')).toEqual({
      name: 'invalid',
      text: 'a nickname is one word, without spaces: /nick NAME, e.g. /nick peppa_pig',
    });
    expect(parseCommand('/nick')).toEqual({ name: 'invalid', text: 'usage: /nick NAME' });
    expect(parseCommand('/dance')).toMatchObject({
      name: 'invalid',
      text: expect.stringMatching(/unknown command \/dance/),
    });
  });
});

describe('sanitizeText', () => {
  it('makes terminal escapes visible instead of active', () => {
    expect(sanitizeText('\u001b[2Jgone')).toBe('^[[2Jgone');
    expect(sanitizeText('bell\u0007')).toBe('bell^G');
    expect(sanitizeText('tab\tstays')).toBe('tab\tstays');
    expect(sanitizeText('\u009b31m')).toBe('\ufffd31m');
  });

  it('still sanitizes a long text after a clean one of the same length was remembered', () => {
    const clean = 'x'.repeat(1000);
    expect(sanitizeText(clean)).toBe(clean);
    expect(sanitizeText(clean)).toBe(clean);
    const dirty = `\u001b${'x'.repeat(999)}`;
    expect(sanitizeText(dirty)).toBe(`^[${'x'.repeat(999)}`);
    expect(sanitizeText(`${'x'.repeat(999)}\u0007`)).toBe(`${'x'.repeat(999)}^G`);
  });
});

describe('helloRequest', () => {
  it('sends a nick secret only together with its nick', async () => {
    const { helloRequest } = await import('../../../src/protocol/handshake.js');
    expect(helloRequest({ nick: 'george', password: 's3cret' })).toMatchObject({
      nick: 'george',
      password: 's3cret',
    });
    expect(helloRequest({ password: 's3cret' })).not.toHaveProperty('password');
    expect(helloRequest({ roomPassword: 'door' })).toMatchObject({ type: 'hello', roomPassword: 'door' });
  });
});
