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

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * The member's card as a page of its own (what a wallet link opens): the QR to show at the till,
 * the card number under it, and the member's first name. Wallet passes will take its place.
 */
export async function cardPage(card: { cardNumber: string; firstName: string | null }): Promise<string> {
  const svg = await cardSvg(card.cardNumber);
  const title = card.firstName ? `${escapeHtml(card.firstName)}’s card` : 'Loyalty card';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>
body{margin:0;font-family:system-ui,sans-serif;display:flex;min-height:100vh;align-items:center;justify-content:center;background:#f4f4f5}
main{background:#fff;border-radius:16px;padding:24px;text-align:center;box-shadow:0 2px 12px rgba(0,0,0,.08);width:min(360px,90vw)}
.qr svg{width:100%;height:auto}
.number{font-family:ui-monospace,monospace;font-size:1.4rem;letter-spacing:.1em}
</style>
</head>
<body>
<main>
<h1>${title}</h1>
<div class="qr">${svg}</div>
<p class="number">${escapeHtml(card.cardNumber)}</p>
<p>Show this code at the till.</p>
</main>
</body>
</html>
`;
}
