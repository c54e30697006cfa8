/**
 * The new part of an email reply: what the sender wrote, without the quoted history and
 * signature their mail client appended. Works on the plain text of a message (mailparser
 * derives it from the HTML part when there is no text part).
 */
export interface ExtractedText {
  /** What the sender wrote in this message. */
  text: string;
  /** True when quoted history or a signature was removed. */
  trimmed: boolean;
}

/**
 * Reply attributions ("On <date>, <name> wrote:"), one line or wrapped over up to three
 * lines as Gmail does. Each starts with the client's opening word for the language.
 */
const attributionPatterns: RegExp[] = [
  /^On\s.{1,400}\s(wrote|sent)\s?:$/i, // en
  /^Am\s.{1,400}\sschrieb\b.{0,400}:$/i, // de
  /^Le\s.{1,400}\sa\s+écrit\s?:$/i, // fr
  /^El\s.{1,400}\sescribió\s?:$/i, // es
  /^Em\s.{1,400}\sescreveu\s?:$/i, // pt
  /^Il\s.{1,400}\sha\s+scritto\s?:$/i, // it
  /^Op\s.{1,400}\sschreef\b.{0,400}:$/i, // nl
  /^(Den|På)\s.{1,400}\sskrev\b.{0,400}:$/i, // sv, da, no
];

/** "Ada Lovelace <ada@example.com> wrote:" on a line of its own (Thunderbird, older clients). */
const addressAttributionPattern =
  /^.{0,200}<[^\s<>]+@[^\s<>]+>\s(wrote|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|schreef|skrev)\s?:$/i;

/** "-----Original Message-----" in the languages Outlook ships. */
const originalMessagePattern =
  /^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Originalnachricht|Message d'origine|Mensaje original|Mensagem original|Messaggio originale|Oorspronkelijk bericht|Originalmeddelande|Oprindelig meddelelse|Opprinnelig melding)\s*-{2,}\s*$/i;

/** Outlook's quoted header block: From, then Sent/Date, then To or Subject. */
const outlookFrom = /^\s*\*?(From|Von|De|Da|Van|Från|Fra)\s?:\*?\s*\S/i;
const outlookSent =
  /^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Fecha|Inviato|Data|Verzonden|Skickat|Sendt)\s?:\*?\s*\S/i;
const outlookToOrSubject =
  /^\s*\*?(To|An|À|A|Para|Aan|Till|Til|Subject|Betreff|Objet|Asunto|Assunto|Oggetto|Onderwerp|Ämne|Emne)\s?:\*?\s*\S/i;

const quotedLine = /^\s*>/;
const signatureDelimiter = /^--\s?$/;
const mobileSignature =
  /^\s*(Sent from my \S.{0,40}|Sent from (Mail|Outlook|Yahoo Mail|Gmail|AOL Mobile Mail|Windows Mail)\b.{0,40}|Sent from \S.{0,40} for (iOS|Android|Windows)|Get Outlook for (iOS|Android)|Von meinem \S.{0,30} gesendet|Gesendet von meinem \S.{0,40}|Envoyé de mon \S.{0,40}|Envoyé depuis mon \S.{0,40}|Enviado desde mi \S.{0,40}|Enviado do meu \S.{0,40}|Inviato da(l mio)? \S.{0,40})\s*$/i;

/** How many lines the attribution starting at `index` spans (0: none starts there). */
function attributionAt(lines: readonly string[], index: number): number {
  const first = lines[index]?.trim() ?? '';
  if (first.length === 0 || quotedLine.test(first)) return 0;
  if (addressAttributionPattern.test(first)) return 1;
  for (let span = 1; span <= 3 && index + span <= lines.length; span += 1) {
    const spanned = lines.slice(index, index + span).map((line) => line.trim());
    if (spanned.some((line) => line.length === 0 || quotedLine.test(line))) return 0;
    const joined = spanned.join(' ').replace(/\s+/g, ' ');
    if (attributionPatterns.some((pattern) => pattern.test(joined))) return span;
  }
  return 0;
}

function isOutlookHeaderBlock(lines: readonly string[], index: number): boolean {
  if (!outlookFrom.test(lines[index] ?? '')) return false;
  const following = lines.slice(index + 1, index + 7);
  return (
    following.some((line) => outlookSent.test(line)) &&
    following.some((line) => outlookToOrSubject.test(line))
  );
}

function nextNonEmpty(lines: readonly string[], from: number): string | undefined {
  for (let index = from; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim().length > 0) return line;
  }
  return undefined;
}

/** Where the quoted history starts (a line index), and attribution lines to drop before it. */
function findHistory(lines: readonly string[]): { cutAt: number; drop: Set<number> } {
  const drop = new Set<number>();
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (originalMessagePattern.test(line)) return { cutAt: index, drop };
    if (isOutlookHeaderBlock(lines, index)) {
      const previous = index > 0 ? lines[index - 1]!.trim() : '';
      return { cutAt: /^_{5,}$/.test(previous) ? index - 1 : index, drop };
    }
    const span = attributionAt(lines, index);
    if (span > 0) {
      const after = nextNonEmpty(lines, index + span);
      // Bottom-posting or inline replies: the attribution introduces a `>` quote and the
      // sender's own text may follow it, so only the attribution goes.
      if (after !== undefined && quotedLine.test(after)) {
        for (let offset = 0; offset < span; offset += 1) drop.add(index + offset);
        index += span - 1;
        continue;
      }
      return { cutAt: index, drop };
    }
  }
  return { cutAt: lines.length, drop };
}

/**
 * Strips quoted history and signatures from the plain text of an email:
 * - "On … wrote:" attributions (en, de, fr, es, pt, it, nl, sv/da/no), wrapped or not;
 * - "-----Original Message-----" separators and Outlook "From:/Sent:/To:" header blocks;
 * - lines quoted with `>`, wherever they are (inline replies keep the sender's answers);
 * - the `-- ` signature delimiter and everything below it;
 * - "Sent from my iPhone" and its counterparts in other languages.
 *
 * When nothing would remain (a message that is all quote), the full text is kept: what the
 * sender sent is never lost.
 */
export function extractNewText(fullText: string): ExtractedText {
  const normalized = fullText.replace(/\r\n?/g, '\n');
  const lines = normalized.split('\n');
  const { cutAt, drop } = findHistory(lines);
  const kept: string[] = [];
  for (let index = 0; index < cutAt; index += 1) {
    const line = lines[index]!;
    if (drop.has(index) || quotedLine.test(line)) continue;
    if (signatureDelimiter.test(line) || mobileSignature.test(line)) break;
    kept.push(line.trimEnd());
  }
  const text = collapseBlankLines(kept).join('\n').trim();
  const original = normalized.trim();
  if (text.length === 0) return { text: original, trimmed: false };
  return { text, trimmed: text !== original };
}

function collapseBlankLines(lines: readonly string[]): string[] {
  const result: string[] = [];
  for (const line of lines) {
    if (line.length === 0 && result.length > 0 && result[result.length - 1] === '') continue;
    result.push(line);
  }
  return result;
}
