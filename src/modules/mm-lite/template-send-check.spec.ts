import { ErrorCode } from 'src/common/exceptions/error-code';
import type { SendableTemplate, TemplateLookup } from 'src/modules/templates/templates.service';

import { templateRefusal } from './template-send-check';

const REQUESTED = { name: 'seasonal_sale_promo', language: 'en_US' };

function stored(fields: Partial<SendableTemplate> = {}): TemplateLookup {
  const template: SendableTemplate = {
    templateId: '1',
    name: REQUESTED.name,
    language: REQUESTED.language,
    category: 'MARKETING',
    pendingCategory: null,
    status: 'APPROVED',
    reason: null,
    metaUpdatedAt: null,
    templatesSyncedAt: new Date(),
    ...fields,
  };
  return { template, languages: [], templatesSyncedAt: template.templatesSyncedAt };
}

describe(templateRefusal.name, () => {
  it('should let an APPROVED MARKETING template go', () => {
    expect(templateRefusal(stored(), REQUESTED)).toBeNull();
  });

  it('should let it go while a change to UTILITY is only impending (the completed category counts)', () => {
    expect(templateRefusal(stored({ pendingCategory: 'UTILITY' }), REQUESTED)).toBeNull();
  });

  it('should refuse a template that exists in other languages only, naming them and template.language', () => {
    const refusal = templateRefusal(
      { template: null, languages: ['de', 'pt_BR'], templatesSyncedAt: new Date() },
      REQUESTED,
    );

    expect(refusal).toMatchObject({
      code: ErrorCode.TEMPLATE_NOT_SENDABLE,
      refusal: 'MISSING',
      extras: {
        errors: [{ field: 'template.language' }],
        meta: { template: 'seasonal_sale_promo', language: 'en_US', languages: ['de', 'pt_BR'] },
      },
    });
    expect(refusal?.detail).toContain('does not exist in en_US (it exists in de, pt_BR)');
  });

  it('should refuse a name the WABA does not have in any language, naming template.name', () => {
    const refusal = templateRefusal({ template: null, languages: [], templatesSyncedAt: new Date() }, REQUESTED);

    expect(refusal).toMatchObject({ refusal: 'MISSING', extras: { errors: [{ field: 'template.name' }] } });
    expect(refusal?.detail).toContain('no template of that name in any language');
  });

  it.each([
    ['PAUSED', 'Your WhatsApp message template has been paused'],
    ['DISABLED', null],
    ['REJECTED', 'INVALID_FORMAT'],
  ])('should refuse a %s template with its status and Meta reason', (status, reason) => {
    const refusal = templateRefusal(stored({ status, reason }), REQUESTED);

    expect(refusal).toMatchObject({
      refusal: 'NOT_APPROVED',
      extras: { meta: { templateStatus: status, statusReason: reason, category: 'MARKETING' } },
    });
    expect(refusal?.detail).toContain(`is ${status}`);
    if (reason) {
      expect(refusal?.detail).toContain(reason);
    }
  });

  it.each(['UTILITY', 'AUTHENTICATION'])('should refuse an APPROVED %s template, naming its category', (category) => {
    const refusal = templateRefusal(stored({ category }), REQUESTED);

    expect(refusal).toMatchObject({
      refusal: 'NOT_MARKETING',
      extras: { meta: { category, templateStatus: 'APPROVED' } },
    });
    expect(refusal?.detail).toContain(`is a ${category} template`);
    expect(refusal?.detail).toContain('utility and authentication templates are not sent here');
  });
});
