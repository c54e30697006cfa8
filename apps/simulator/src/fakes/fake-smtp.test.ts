import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { planForTests } from '../test-support/scenario-for-tests.js';
import { TrafficLedger } from '../traffic-ledger.js';
import { createSmtpFake } from './fake-smtp.js';

/** Reads SMTP replies until one starts with `code`. */
function waitForReply(socket: Socket, code: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (new RegExp(`^${code} `, 'm').test(received)) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('the fake SMTP provider', () => {
  it('survives a gateway that dies mid-transaction (connection reset) and keeps accepting mail', async () => {
    const plan = planForTests();
    const ledger = new TrafficLedger(plan);
    const fake = createSmtpFake({
      ledger,
      scenario: plan.scenario,
      gateway: () => {
        throw new Error('no gateway in this test');
      },
      mediaUrl: (fileName) => `http://127.0.0.1:9/${fileName}`,
    });
    await fake.start!();
    try {
      // a killed gateway: its SMTP client is inside a transaction when the connection resets
      const socket = connect(fake.port(), '127.0.0.1');
      await waitForReply(socket, '220');
      socket.write('EHLO gateway\r\n');
      await waitForReply(socket, '250');
      socket.write('MAIL FROM:<support@example.com>\r\n');
      await waitForReply(socket, '250');
      socket.write('RCPT TO:<customer@example.com>\r\n');
      await waitForReply(socket, '250');
      socket.resetAndDestroy();

      // the restarted gateway sends again: the fake still accepts it
      const mailer = nodemailer.createTransport({
        host: '127.0.0.1',
        port: fake.port(),
        secure: false,
        ignoreTLS: true,
      });
      const sent = await mailer.sendMail({
        from: 'support@example.com',
        to: 'customer@example.com',
        subject: 'Your order',
        text: 'It shipped.',
      });
      expect(sent.accepted).toEqual(['customer@example.com']);
      mailer.close();
    } finally {
      await fake.close?.();
    }
  });
});
