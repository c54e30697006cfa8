import type { Channel } from '@threadline/schema';

export interface ChannelChoiceInput {
  /** The category's channels in the contact's preferences, if set. */
  categoryChannels: Channel[] | undefined;
  /** The contact's preferred order (preferences, else the contact's channel preference). */
  preferredChannels: Channel[];
  /** Where the customer last wrote. */
  lastInboundChannel: Channel | null;
  /** The channel of the address the app named. */
  addressedChannel: Channel | null;
  /** Channels a configured connector serves, the contact has an address on, and did not opt out of. */
  reachable: Channel[];
  /** WhatsApp only: the customer wrote there in the last 24 hours. */
  whatsappWindowOpen: boolean;
  hasTemplate: boolean;
}

/**
 * The channels to try, in order (the first sends, the next is the fallback): the category's
 * channels (strictly), else the first of the contact's preferred order, where the customer last
 * wrote, or the address the app named that has a channel that can reach them. WhatsApp outside its
 * 24-hour window needs a template, else it is skipped.
 */
export function chooseNotificationChannels(input: ChannelChoiceInput): Channel[] {
  const usable = (channel: Channel) =>
    input.reachable.includes(channel) &&
    (channel !== 'whatsapp' || input.whatsappWindowOpen || input.hasTemplate);
  // The category's channels are the customer's word for this category: nothing else is tried.
  if (input.categoryChannels?.length) return [...new Set(input.categoryChannels.filter(usable))];
  const sources: Channel[][] = [
    input.preferredChannels,
    input.lastInboundChannel ? [input.lastInboundChannel] : [],
    input.addressedChannel ? [input.addressedChannel] : [],
  ];
  for (const source of sources) {
    const channels = [...new Set(source.filter(usable))];
    if (channels.length > 0) return channels;
  }
  return [];
}
