import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';

// jsqr is CommonJS with `exports.default`: under NodeNext typing the default import is the module object.
const jsQR = jsQRModule.default;

let ctx: TestContext;
let org: TestOrganization;
beforeAll(async () => {
  ctx = await createTestContext();
  org = await ctx.createOrganization();
});
afterAll(() => ctx.close());

async function createMember(payload: Record<string, unknown> = {}) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload,
  });
  expectStatus(response, 201);
  return response.json() as { id: string; loyaltyCardNumber: string };
}

function decodePng(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

/**
 * Rasterizes the SVG the qrcode library draws (one path of horizontal strokes: `M x y.5 h n`,
 * `m dx dy h n`) and decodes it, so the test reads what a scanner would read.
 */
function decodeSvg(svg: string): string | undefined {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  const path = /<path stroke="[^"]+" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  const dark = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  let x = 0;
  let y = 0;
  for (const [, command, a, b] of path.matchAll(/([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?/g)) {
    if (command === 'M') [x, y] = [Number(a), Number(b)];
    else if (command === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      for (let i = 0; i < Number(a); i++) dark[Math.floor(y)]![x + i] = true;
      x += Number(a);
    }
  }
  const scale = 8;
  const width = size * scale;
  const pixels = new Uint8ClampedArray(width * width * 4);
  for (let py = 0; py < width; py++) {
    for (let px = 0; px < width; px++) {
      const value = dark[Math.floor(py / scale)]![Math.floor(px / scale)] ? 0 : 255;
      pixels.set([value, value, value, 255], (py * width + px) * 4);
    }
  }
  return jsQR(pixels, width, width)?.data;
}

describe('the loyalty card QR', () => {
  it('PNG decodes to exactly the generated card number', async () => {
    const member = await createMember();
    const response = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.id}/card.png`,
      headers: org.headers,
    });
    expectStatus(response, 200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(decodePng(response.rawPayload)).toBe(member.loyaltyCardNumber);
  });

  it('SVG decodes to exactly a given card number, case and punctuation kept', async () => {
    const member = await createMember({ loyaltyCardNumber: '00000000000000002-aB' });
    const response = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.id}/card.svg`,
      headers: org.headers,
    });
    expectStatus(response, 200);
    expect(response.headers['content-type']).toContain('image/svg+xml');
    expect(decodeSvg(response.body)).toBe('00000000000000002-aB');
  });

  it('scanning the card and looking the scan up finds the member', async () => {
    const member = await createMember();
    const png = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.id}/card.png?size=256`,
      headers: org.headers,
    });
    expect(PNG.sync.read(png.rawPayload).width).toBe(256);
    const scanned = decodePng(png.rawPayload)!;
    const found = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/lookup?identifier=${encodeURIComponent(scanned)}`,
      headers: org.headers,
    });
    expect(found.json().id).toBe(member.id);
  });

  it('answers 404 for an anonymized member, who has no card any more', async () => {
    const member = await createMember();
    expectStatus(
      await ctx.app.inject({
        method: 'POST',
        url: `/v1/customers/${member.id}/anonymize`,
        headers: org.headers,
      }),
      200,
    );
    for (const format of ['svg', 'png']) {
      const response = await ctx.app.inject({
        method: 'GET',
        url: `/v1/customers/${member.id}/card.${format}`,
        headers: org.headers,
      });
      expectStatus(response, 404);
    }
  });
});
