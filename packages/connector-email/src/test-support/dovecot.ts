import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@threadline/connector-kit';
import { ImapFlow } from 'imapflow';

/** Debian's `dovecot-imapd` (`apt-get install -y dovecot-imapd`; `.ci/run` installs it). */
export const dovecotBinary = process.env.DOVECOT_BINARY ?? '/usr/sbin/dovecot';

/**
 * Why the IMAP suites cannot run here, or undefined when dovecot is installed. With
 * `CI=true` a missing dovecot is an error (the run fails), never a skip.
 */
export function dovecotUnavailable(): string | undefined {
  if (existsSync(dovecotBinary)) return undefined;
  const reason = `dovecot is not installed (${dovecotBinary} is missing)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI requires it`);
  console.warn(
    `\n  SKIPPED the IMAP suites: ${reason}.\n` +
      '  Run them after `apt-get install -y dovecot-imapd` (bash .ci/run installs it),\n' +
      '  or point DOVECOT_BINARY at a dovecot 2.3 binary.\n',
  );
  return reason;
}

export interface TestMailUser {
  user: string;
  password: string;
}

export interface Dovecot {
  host: string;
  port: number;
  /** `imap://user:password@127.0.0.1:<port>` for the test user. */
  url: string;
  account: TestMailUser;
  /** A client logged in as the test user, for APPEND and flag checks; close it after. */
  client(): Promise<ImapFlow>;
  /** Appends a raw message to `folder` (default INBOX) with `flags`; returns its UID. */
  append(raw: string, options?: { folder?: string; flags?: string[] }): Promise<number>;
  /** The flags of every message of `folder`, by UID. */
  flags(folder?: string): Promise<Map<number, string[]>>;
  /** Stops the server (the mail stays), e.g. to see a client reconnect. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same mail. */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory. */
  close(): Promise<void>;
}

/**
 * A throwaway dovecot IMAP server for tests: its own configuration in a temp directory,
 * run in the foreground (`dovecot -F -c <config>`) as a child process, on a free port of
 * 127.0.0.1, with one user in a passwd-file, Maildir mail in the temp directory, no TLS and
 * plaintext LOGIN allowed. Nothing system-wide is used or changed.
 *
 * What dovecot 2.3 (Debian 12) accepts, found by trying:
 * - As root (CI), the login process refuses to run as root ("This process must not be run
 *   as root") and a mail user with UID 0 is refused: so `default_login_user = dovenull`,
 *   `default_internal_user = dovecot` (both created by the Debian package), and the mail is
 *   owned by the `dovecot` user, with `first_valid_uid` lowered to its UID. The temp
 *   directory is made traversable (0755) so those users can reach the passwd-file and mail.
 * - As any other user, every process runs as that user: the three settings name it, and
 *   `default_internal_group` names its group (dovecot cannot give sockets to its own group),
 *   and anvil and imap-login run without `chroot` (only root may chroot).
 */
export async function startDovecot(
  account: TestMailUser = { user: 'support', password: 'imap-test-secret' },
): Promise<Dovecot> {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-dovecot-'));
  chmodSync(directory, 0o755);
  const mailUser = mailOwner();
  for (const sub of ['mail', 'home']) {
    mkdirSync(join(directory, sub));
    if (process.getuid?.() === 0) chownSync(join(directory, sub), mailUser.uid, mailUser.gid);
  }
  const passwdFile = join(directory, 'passwd');
  writeFileSync(
    passwdFile,
    `${account.user}:{PLAIN}${account.password}:${mailUser.uid}:${mailUser.gid}::${join(directory, 'home', account.user)}\n`,
  );
  chmodSync(passwdFile, 0o644);

  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    const configFile = join(directory, 'dovecot.conf');
    writeFileSync(configFile, dovecotConfig({ directory, port, passwdFile, mailUser }));
    output = '';
    // its own process group, so stop() ends the imap processes with it: clients see the
    // server go at once (dovecot's own shutdown leaves them for about 10 s)
    const started = spawn(dovecotBinary, ['-F', '-c', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = started;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-10_000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    const gone = new AbortController();
    const exited = new Promise<never>((_, reject) => {
      started.once('error', (error) => {
        gone.abort();
        reject(new Error(`dovecot did not start: ${error.message}`));
      });
      started.once('exit', (code, signal) => {
        gone.abort();
        reject(new Error(`dovecot exited (${code ?? signal}) while starting: ${output}`));
      });
    });
    exited.catch(() => undefined);
    // a master that runs but whose login process cannot start never greets: give up
    const deadline = setTimeout(() => gone.abort(), 20_000);
    try {
      await Promise.race([exited, greeting('127.0.0.1', port, gone.signal)]);
    } finally {
      clearTimeout(deadline);
    }
    if (started.exitCode === null && started.signalCode === null && gone.signal.aborted) {
      throw new Error(`dovecot did not answer on 127.0.0.1:${port} within 20 s: ${output}`);
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    try {
      if (running.pid !== undefined) process.kill(-running.pid, 'SIGTERM');
      else running.kill('SIGTERM');
    } catch {
      running.kill('SIGTERM');
    }
    await exited;
  };

  // a free port can be taken between asking and binding: try a few
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      await stop();
      if (attempt >= 3) {
        rmSync(directory, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const client = async () => {
    const opened = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user: account.user, pass: account.password },
      logger: false,
    });
    opened.on('error', () => undefined);
    await opened.connect();
    return opened;
  };

  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `imap://${encodeURIComponent(account.user)}:${encodeURIComponent(account.password)}@127.0.0.1:${port}`;
    },
    account,
    client,
    async append(raw, options = {}) {
      const opened = await client();
      try {
        const appended = await opened.append(options.folder ?? 'INBOX', raw, options.flags ?? []);
        if (!appended || appended.uid === undefined) throw new Error('APPEND returned no UID');
        return appended.uid;
      } finally {
        await opened.logout().catch(() => opened.close());
      }
    },
    async flags(folder = 'INBOX') {
      const opened = await client();
      const flags = new Map<number, string[]>();
      try {
        const lock = await opened.getMailboxLock(folder);
        try {
          const mailbox = opened.mailbox;
          if (mailbox && mailbox.exists > 0) {
            for await (const message of opened.fetch('1:*', { uid: true, flags: true })) {
              flags.set(message.uid, [...(message.flags ?? [])].sort());
            }
          }
        } finally {
          lock.release();
        }
      } finally {
        await opened.logout().catch(() => opened.close());
      }
      return flags;
    },
    stop,
    restart: launch,
    async close() {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function dovecotConfig(options: {
  directory: string;
  port: number;
  passwdFile: string;
  mailUser: { name: string; uid: number; gid: number };
}): string {
  const { directory, port, passwdFile, mailUser } = options;
  const root = process.getuid?.() === 0;
  const internalUser = root ? 'dovecot' : mailUser.name;
  const loginUser = root ? 'dovenull' : mailUser.name;
  // not root: the sockets dovecot makes cannot be given to the dovecot group, and no
  // process can chroot
  const internalGroup = root ? '' : `default_internal_group = ${groupName(mailUser.gid)}\n`;
  const noChroot = root ? '' : 'service anvil {\n  chroot =\n}\n';
  const loginChroot = root ? '' : '  chroot =\n';
  return `# written by the Threadline IMAP tests
base_dir = ${directory}/run
state_dir = ${directory}/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${internalUser}
default_login_user = ${loginUser}
${internalGroup}first_valid_uid = ${mailUser.uid}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwdFile}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${passwdFile}
}
mail_location = maildir:${directory}/mail/%u
${noChroot}service imap-login {
${loginChroot}  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

/** The user owning the mail: `dovecot` when running as root, else the current user. */
function mailOwner(): { name: string; uid: number; gid: number } {
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    return { name: me.username, uid: me.uid, gid: me.gid };
  }
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('dovecot:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new Error('the dovecot user is missing: apt-get install -y dovecot-imapd creates it');
  }
  return { name: 'dovecot', uid: Number(uid), gid: Number(gid) };
}

function groupName(gid: number): string {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((entry) => entry.split(':')[2] === String(gid));
  return line?.split(':')[0] ?? String(gid);
}

/** Resolves once something on host:port answers with an IMAP greeting (or `signal` aborts). */
async function greeting(host: string, port: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.setTimeout(2_000);
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('* OK'));
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
    if (greeted) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
