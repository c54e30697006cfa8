import { useEffect, useState } from 'preact/hooks';
import { ChannelBadge, StatusPill } from '../components/badges';
import { contactLabel } from '../contact-cache';
import { useSession } from '../context';
import { channelName, fullTime, shortTime } from '../format';
import { hrefFor } from '../route';
import { useAsync } from '../use-async';

const channels = ['whatsapp', 'sms', 'telegram', 'email', 'webchat'];

export function ContactView({ id }: { id: string }) {
  const { client, contacts } = useSession();
  const contact = useAsync(() => client.contacts.get(id), [id]);
  const conversations = useAsync(
    () => client.conversations.list({ contactId: id, limit: 50 }),
    [id],
  );
  const [channel, setChannel] = useState('sms');
  const [address, setAddress] = useState('');
  const [mergeId, setMergeId] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function act(run: () => Promise<unknown>, done: string) {
    setProblem(null);
    setNotice(null);
    try {
      await run();
      contacts.forget(id);
      contact.reload();
      conversations.reload();
      setNotice(done);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  }

  // a merged contact's id answers with the contact it joined: show that one's address
  const joinedId = contact.value?.id;
  useEffect(() => {
    if (joinedId && joinedId !== id) window.location.replace(hrefFor.contact(joinedId));
  }, [joinedId, id]);

  if (contact.error)
    return (
      <section class="view">
        <p class="problem" role="alert">
          Could not load this contact: {contact.error}
        </p>
      </section>
    );
  const value = contact.value;
  if (!value)
    return (
      <section class="view">
        <p class="muted">Loading…</p>
      </section>
    );

  return (
    <section class="view contact-view" aria-labelledby="contact-title">
      <header class="view-header">
        <p class="crumbs">
          <a href={hrefFor.conversations()}>Conversations</a> /
        </p>
        <h1 id="contact-title">{contactLabel(value)}</h1>
        <p class="muted small">
          Contact <code>{value.id}</code> · since {fullTime(value.createdAt)}
          {value.optedOut.length > 0 &&
            ` · opted out of ${value.optedOut.map(channelName).join(', ')}`}
        </p>
      </header>
      <div class="columns">
        <section class="card" aria-labelledby="identities-title">
          <h2 id="identities-title">Identities</h2>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">Address</th>
                <th scope="col">Source</th>
                <th scope="col">Verified</th>
              </tr>
            </thead>
            <tbody>
              {value.identities.map((identity) => (
                <tr key={`${identity.channel}:${identity.address}`}>
                  <td>
                    <ChannelBadge channel={identity.channel} />
                  </td>
                  <td>
                    <code>{identity.address}</code>
                  </td>
                  <td>{identity.source}</td>
                  <td>{identity.verified ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <form
            class="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              void act(
                () =>
                  client.contacts.linkIdentity(id, {
                    channel,
                    address,
                    reason: 'linked in the console',
                  }),
                `Linked ${channelName(channel)} ${address}.`,
              ).then(() => setAddress(''));
            }}
          >
            <h3>Link an identity</h3>
            <label>
              <span>Channel</span>
              <select value={channel} onChange={(event) => setChannel(event.currentTarget.value)}>
                {channels.map((option) => (
                  <option key={option} value={option}>
                    {channelName(option)}
                  </option>
                ))}
              </select>
            </label>
            <label class="grow">
              <span>Address</span>
              <input
                value={address}
                required
                onInput={(event) => setAddress(event.currentTarget.value)}
              />
            </label>
            <button type="submit" class="button">
              Link
            </button>
          </form>
          <form
            class="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              if (!window.confirm(`Merge contact ${mergeId} into this one? Their histories join.`))
                return;
              void act(
                () =>
                  client.contacts.merge({
                    contactId: id,
                    mergeContactId: mergeId,
                    reason: 'merged in the console',
                  }),
                'Merged.',
              ).then(() => setMergeId(''));
            }}
          >
            <h3>Merge another contact into this one</h3>
            <label class="grow">
              <span>Contact id to merge</span>
              <input
                value={mergeId}
                required
                onInput={(event) => setMergeId(event.currentTarget.value)}
              />
            </label>
            <button type="submit" class="button danger">
              Merge
            </button>
          </form>
          {problem && (
            <p class="problem" role="alert">
              {problem}
            </p>
          )}
          {notice && (
            <p class="notice" role="status">
              {notice}
            </p>
          )}
        </section>
        <section class="card" aria-labelledby="contact-conversations-title">
          <h2 id="contact-conversations-title">Conversations</h2>
          <ul class="plain-list">
            {conversations.value?.data.map((conversation) => (
              <li key={conversation.id}>
                <a href={hrefFor.conversation(conversation.id)}>
                  {shortTime(conversation.lastMessageAt)}
                </a>{' '}
                <StatusPill status={conversation.status} />{' '}
                {conversation.lastInboundChannel && (
                  <ChannelBadge channel={conversation.lastInboundChannel} />
                )}
              </li>
            ))}
          </ul>
        </section>
      </div>
    </section>
  );
}
