import { describe, expect, it } from 'vitest';
import { type ChannelChoiceInput, chooseNotificationChannels } from './channel-choice.js';

const base: ChannelChoiceInput = {
  categoryChannels: undefined,
  preferredChannels: [],
  lastInboundChannel: null,
  addressedChannel: null,
  reachable: ['sms', 'telegram', 'whatsapp', 'email'],
  whatsappWindowOpen: true,
  hasTemplate: false,
};

describe('chooseNotificationChannels', () => {
  it.each([
    [
      'the category channels come first',
      { categoryChannels: ['email', 'sms'], preferredChannels: ['telegram'] },
      ['email', 'sms'],
    ],
    [
      'category channels are strict: unreachable ones leave nothing',
      { categoryChannels: ['webchat'], preferredChannels: ['sms'] },
      [],
    ],
    [
      'else the preferred order',
      { preferredChannels: ['telegram', 'sms'], lastInboundChannel: 'email' },
      ['telegram', 'sms'],
    ],
    ['else where the customer last wrote', { lastInboundChannel: 'telegram' }, ['telegram']],
    ['else the addressed channel', { addressedChannel: 'sms' }, ['sms']],
    [
      'unreachable preferences fall through to the last inbound channel',
      { preferredChannels: ['webchat'], lastInboundChannel: 'sms' },
      ['sms'],
    ],
    [
      'a channel no connector reaches is skipped',
      { preferredChannels: ['sms', 'telegram'], reachable: ['telegram'] },
      ['telegram'],
    ],
    [
      'WhatsApp outside its window without a template is skipped',
      { preferredChannels: ['whatsapp', 'sms'], whatsappWindowOpen: false },
      ['sms'],
    ],
    [
      'WhatsApp outside its window with a template stays',
      { preferredChannels: ['whatsapp', 'sms'], whatsappWindowOpen: false, hasTemplate: true },
      ['whatsapp', 'sms'],
    ],
    ['nothing known: nothing to try', {}, []],
  ] as [string, Partial<ChannelChoiceInput>, string[]][])('%s', (_name, input, expected) => {
    expect(chooseNotificationChannels({ ...base, ...input })).toEqual(expected);
  });
});
