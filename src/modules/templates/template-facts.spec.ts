import type { TemplateSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import {
  applyTemplateSnapshot,
  normaliseLanguage,
  observeTemplateFact,
  pendingOf,
  type TemplateFacts,
} from './template-facts';

function facts(overrides: Partial<TemplateFacts> = {}): TemplateFacts {
  return {
    category: null,
    previousCategory: null,
    pendingCategory: null,
    status: null,
    reason: null,
    quality: null,
    metaUpdatedAt: null,
    statusAt: null,
    categoryAt: null,
    qualityAt: null,
    ...overrides,
  };
}

function snapshot(overrides: Partial<TemplateSnapshot> = {}): TemplateSnapshot {
  return {
    id: '278077987957091',
    name: 'welcome_template',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    previousCategory: null,
    correctCategory: null,
    rejectedReason: 'NONE',
    quality: 'GREEN',
    ...overrides,
  };
}

const at = (seconds: number) => new Date(seconds * 1000);

describe('template facts', () => {
  it('should apply a read in full to a template never reported', () => {
    const template = facts();

    const changed = applyTemplateSnapshot(template, snapshot({ correctCategory: 'MARKETING' }), at(100));

    expect(changed).toEqual(['status', 'category', 'quality']);
    expect(template).toMatchObject({
      status: 'APPROVED',
      reason: null,
      category: 'UTILITY',
      pendingCategory: 'MARKETING',
      quality: 'GREEN',
      metaUpdatedAt: at(100),
    });
  });

  it('should keep a newer webhook fact over an older read, fact by fact', () => {
    const template = facts({
      status: 'PAUSED',
      reason: 'FIRST_PAUSE',
      statusAt: at(200),
      category: 'UTILITY',
      categoryAt: at(50),
    });

    applyTemplateSnapshot(template, snapshot({ category: 'MARKETING', previousCategory: 'UTILITY' }), at(100));

    expect(template).toMatchObject({
      status: 'PAUSED',
      reason: 'FIRST_PAUSE',
      category: 'MARKETING',
      previousCategory: 'UTILITY',
    });
  });

  it('should apply a report of the same second in arrival order, and refuse an older one', () => {
    const template = facts({ quality: 'GREEN', qualityAt: at(100) });

    expect(observeTemplateFact(template, 'quality', new Date(100_500), () => (template.quality = 'YELLOW'))).toBe(true);
    expect(observeTemplateFact(template, 'quality', at(99), () => (template.quality = 'RED'))).toBe(false);
    expect(template.quality).toBe('YELLOW');
  });

  it('should keep the pause title of a paused template that a read reports paused with no reason', () => {
    const template = facts({ status: 'PAUSED', reason: 'SECOND_PAUSE', statusAt: at(10) });

    applyTemplateSnapshot(template, snapshot({ status: 'PAUSED' }), at(20));

    expect(template.reason).toBe('SECOND_PAUSE');
  });

  it.each([
    ['MARKETING', 'MARKETING', null],
    ['UTILITY', 'MARKETING', 'MARKETING'],
    ['UTILITY', null, null],
  ])('should read category %s with correct_category %s as pending %s', (category, correct, pending) => {
    expect(pendingOf(category, correct)).toBe(pending);
  });

  it("should spell a webhook's language as the Graph API does", () => {
    expect(normaliseLanguage('en-US')).toBe('en_US');
    expect(normaliseLanguage('pt_BR')).toBe('pt_BR');
  });
});
