import { writeFileSync } from 'node:fs';
import QRCode from 'qrcode';

const WIDTH = 640;
const HEIGHT = 480;
/** Pixels per QR module, and the white modules around the code a reader needs to find it. */
const SCALE = 10;
const QUIET_ZONE = 4;
const FRAMES = 10;

/**
 * A video for Chromium's fake camera (`--use-file-for-fake-video-capture`): a member's card QR (its
 * content is the card number, as src/modules/customers/card.ts draws it) black on white, centred,
 * or a blank white frame for null. YUV4MPEG2: a text header, then per frame a full-size luma plane
 * and two quarter-size chroma planes (4:2:0) at 128, i.e. grey. Chromium plays the file in a loop.
 */
export function writeCardVideo(cardNumber: string | null, path: string): void {
  const luma = Buffer.alloc(WIDTH * HEIGHT, 235);
  if (cardNumber !== null) drawCode(luma, cardNumber);
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: FRAMES }, () => frame)]));
}

/** The card's QR into the luma plane: black modules (16) on white (235), SCALE pixels each. */
function drawCode(luma: Buffer, cardNumber: string): void {
  const { modules } = QRCode.create(cardNumber, { errorCorrectionLevel: 'M' });
  const side = (modules.size + 2 * QUIET_ZONE) * SCALE;
  if (side > HEIGHT) throw new Error(`a ${modules.size}-module code does not fit the frame`);
  const left = (WIDTH - side) / 2 + QUIET_ZONE * SCALE;
  const top = (HEIGHT - side) / 2 + QUIET_ZONE * SCALE;
  for (let y = 0; y < modules.size * SCALE; y++)
    for (let x = 0; x < modules.size * SCALE; x++)
      if (modules.get(Math.floor(y / SCALE), Math.floor(x / SCALE))) luma[(top + y) * WIDTH + left + x] = 16;
}
