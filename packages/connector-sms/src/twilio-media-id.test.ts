import { describe, expect, it } from 'vitest';
import { toTwilioMediaId, twilioMediaPath } from './twilio-media-id.js';

const account = 'AC5ef8732a3c49700934481addd5ce1659';
const mediaUrl = `https://api.twilio.com/2010-04-01/Accounts/${account}/Messages/MM7a3f9c2e1b0d4e6f8a5c3b1d9e7f2a40/Media/ME1c9e7a5b3d1f4e2a8c6b0d9f7e5a3c10`;

describe('Twilio media ids', () => {
  it('names media by message and media sid, without host or account', () => {
    const mediaId = toTwilioMediaId(new URL(mediaUrl), account);
    expect(mediaId).toBe('MM7a3f9c2e1b0d4e6f8a5c3b1d9e7f2a40.ME1c9e7a5b3d1f4e2a8c6b0d9f7e5a3c10');
    expect(mediaId).not.toContain(account);
    expect(twilioMediaPath(mediaId!, account)).toBe(new URL(mediaUrl).pathname);
  });

  it('finds the media path below an API base with a prefix (Twilio-compatible providers)', () => {
    const url = new URL(
      `https://example.signalwire.com/api/laml/2010-04-01/Accounts/${account}/Messages/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/Media/a1b2c3d4-e5f6-4789-9abc-def012345678`,
    );
    expect(toTwilioMediaId(url, account)).toBe(
      '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.a1b2c3d4-e5f6-4789-9abc-def012345678',
    );
  });

  it('does not name media of another account or another resource', () => {
    expect(
      toTwilioMediaId(new URL(mediaUrl), 'ACffffffffffffffffffffffffffffffff'),
    ).toBeUndefined();
    expect(toTwilioMediaId(new URL('https://cdn.example.com/cat.png'), account)).toBeUndefined();
  });

  it('refuses ids that could reach anything but a media resource', () => {
    for (const mediaId of [
      '',
      'MM1',
      'MM1.ME1.x',
      '../../Calls.ME1',
      'MM1.ME1/../..',
      'MM1.ME1?x=1',
    ]) {
      expect(twilioMediaPath(mediaId, account)).toBeUndefined();
    }
  });
});
