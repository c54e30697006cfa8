import type { Contact, ThreadlineClient } from '@threadline/client';
import type { LiveFeed } from './live';

/** Contacts by id, fetched once each and dropped when the stream says they changed. */
export function createContactCache(client: ThreadlineClient, feed: LiveFeed) {
  const cache = new Map<string, Promise<Contact>>();
  feed.subscribe((event) => {
    if (event.type === 'contact.identity_linked') cache.delete(event.data.contactId);
    if (event.type === 'contact.merged') {
      cache.delete(event.data.contactId);
      cache.delete(event.data.mergedContactId);
    }
  });
  return {
    get(id: string): Promise<Contact> {
      let found = cache.get(id);
      if (!found) {
        found = client.contacts.get(id);
        found.catch(() => cache.delete(id));
        cache.set(id, found);
      }
      return found;
    },
    forget(id: string) {
      cache.delete(id);
    },
  };
}

export type ContactCache = ReturnType<typeof createContactCache>;

/** How an operator recognises a contact: a name, else the first address. */
export function contactLabel(contact: Contact): string {
  return contact.name ?? contact.identities[0]?.address ?? contact.id;
}
