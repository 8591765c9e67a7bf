/**
 * The answer to a rocket's ping, over TCP frames and UDP datagrams alike. Only numbers are
 * echoed: a ping is answered before anything else is known of its sender (on UDP even before
 * the allow/deny lists), so whatever else it carries must not travel back, nor cost anything
 * to serialise (a seq nested 30,000 arrays deep overflowed JSON.stringify's stack).
 */
export function pongTo(request: Record<string, unknown>): { type: 'pong'; seq?: number; ts?: number } {
  return {
    type: 'pong',
    ...(typeof request.seq === 'number' ? { seq: request.seq } : {}),
    ...(typeof request.ts === 'number' ? { ts: request.ts } : {}),
  };
}
