import QRCode from 'qrcode';

/**
 * The member's card as a QR code whose content is exactly the loyalty card number, with no
 * prefix, URL or line break: the Cheerfy card convention, so that whatever a till scans is
 * the identifier `GET /v1/customers/lookup` takes.
 */
const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

export function cardSvg(cardNumber: string): Promise<string> {
  return QRCode.toString(cardNumber, { ...OPTIONS, type: 'svg' });
}

export function cardPng(cardNumber: string, width: number): Promise<Buffer> {
  return QRCode.toBuffer(cardNumber, { ...OPTIONS, type: 'png', width });
}
