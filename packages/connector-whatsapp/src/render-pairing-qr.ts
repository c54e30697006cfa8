import QRCode from 'qrcode';

/** The pairing code as a QR code for a terminal (scan it with WhatsApp → Linked devices). */
export function renderPairingQrForTerminal(code: string): Promise<string> {
  return QRCode.toString(code, { type: 'terminal', small: true });
}

/** The pairing code as a PNG image, for `GET /v1/connectors/<id>/qr`. */
export async function renderPairingQrPng(code: string): Promise<Uint8Array> {
  return new Uint8Array(await QRCode.toBuffer(code, { type: 'png', margin: 2, width: 320 }));
}
