import { describe, expect, it } from 'vitest';
import { EscapeDetector } from '../../../cli/terminal/escape-detector.ts';

// `baton terminal`'s ssh-style escape: `~.` at the start of a line detaches.

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

function feed(chunks: string[]): { sent: string; detach: boolean } {
  const detector = new EscapeDetector();
  let sent = '';
  for (const chunk of chunks) {
    const { forward, detach } = detector.feed(bytes(chunk));
    sent += text(forward);
    if (detach) return { sent, detach };
  }
  return { sent, detach: false };
}

describe('EscapeDetector', () => {
  it('detaches on ~. at the start of the session or of a line, dropping what follows', () => {
    expect(feed(['~.'])).toEqual({ sent: '', detach: true });
    expect(feed(['ls\r~.more'])).toEqual({ sent: 'ls\r', detach: true });
    expect(feed(['echo\n', '~', '.'])).toEqual({ sent: 'echo\n', detach: true });
  });

  it('sends ~ anywhere else, ~~ as one ~, and a held ~ with the key after it', () => {
    expect(feed(['a~.b'])).toEqual({ sent: 'a~.b', detach: false });
    expect(feed(['~~.'])).toEqual({ sent: '~.', detach: false });
    expect(feed(['~x', '\r~', 'y'])).toEqual({ sent: '~x\r~y', detach: false });
    expect(feed(['~/path\r'])).toEqual({ sent: '~/path\r', detach: false });
  });
});
