import { type Static, Type } from 'typebox';

/**
 * Program settings: one validated JSON object per organization. Each module that needs a
 * knob adds it here, with a default in DEFAULT_SETTINGS, so the whole program is configured in one place.
 * No JSON-schema `default` on these keys: Ajv would fill it into every PATCH and overwrite stored values.
 */
export const ProgramSettingsSchema = Type.Object(
  {
    pointsRounding: Type.Optional(
      Type.Union([Type.Literal('down'), Type.Literal('half_up'), Type.Literal('up')], {
        description: 'How computed points are rounded to hundredths (default down)',
      }),
    ),
    loyaltyCardNumberLength: Type.Optional(
      Type.Integer({
        minimum: 6,
        maximum: 32,
        description: 'Length of generated loyalty card numbers (default 10)',
      }),
    ),
    inactiveCustomersEarn: Type.Optional(
      Type.Boolean({
        description:
          'Whether inactive and blocked customers still earn and receive points; they never spend (default false)',
      }),
    ),
  },
  { additionalProperties: false, description: 'Program settings; omitted keys take their defaults' },
);

export type ProgramSettings = Static<typeof ProgramSettingsSchema>;

export const DEFAULT_SETTINGS: Required<ProgramSettings> = {
  pointsRounding: 'down',
  loyaltyCardNumberLength: 10,
  inactiveCustomersEarn: false,
};

export function effectiveSettings(settings: ProgramSettings): Required<ProgramSettings> {
  return { ...DEFAULT_SETTINGS, ...settings };
}
