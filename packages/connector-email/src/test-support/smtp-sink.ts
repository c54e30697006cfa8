import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerEnvelope } from 'smtp-server';

/** One message the sink accepted. */
export interface SinkMessage {
  raw: Buffer;
  parsed: ParsedMail;
  envelope: SMTPServerEnvelope;
  /** The Message-ID without brackets. */
  externalId: string;
}

/**
 * A local SMTP server standing in for the outbound provider: records what it accepts and
 * can be told to answer the next message with an SMTP error instead.
 */
export async function startSmtpSink() {
  const messages: SinkMessage[] = [];
  const failures: Array<{ code: number; message: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    disableReverseLookup: true,
    // advertise DSN so the envelope shows what the connector asks for
    hideDSN: false,
    logger: false,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'sender' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const failure = failures.shift();
        if (failure) {
          callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              raw,
              parsed,
              envelope: structuredClone(session.envelope),
              externalId: (parsed.messageId ?? '').replace(/^<|>$/g, ''),
            });
            callback(null, 'queued');
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  const { port } = await new Promise<AddressInfo>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server.server.address() as AddressInfo));
  });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** Answer the next message with this SMTP reply. */
    failNext(code: number, message: string) {
      failures.push({ code, message });
    },
    reset() {
      messages.length = 0;
      failures.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;
