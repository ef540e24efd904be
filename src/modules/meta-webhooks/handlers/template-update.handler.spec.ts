import { readFixture } from 'src/meta-simulator/meta-simulator.testing';

import { routeWebhookChanges } from 'src/modules/meta-webhooks/webhook-change.router';

import { readTemplateReport } from './template-update.handler';

function reportOf(fixture: string) {
  const [change] = routeWebhookChanges(readFixture(fixture));
  return readTemplateReport(change);
}

describe(readTemplateReport.name, () => {
  it.each([
    [
      '2026/webhooks/message_template_status_update.approved.json',
      {
        kind: 'status',
        templateId: '1689556908129832',
        language: 'en-US',
        status: 'APPROVED',
        category: 'UTILITY',
        reason: 'NONE',
      },
    ],
    [
      '2026/webhooks/message_template_status_update.rejected_invalid_format.json',
      { kind: 'status', status: 'REJECTED', reason: 'INVALID_FORMAT' },
    ],
    [
      '2026/derived/message_template_status_update.paused_first_pause.json',
      { kind: 'status', status: 'PAUSED', reason: 'FIRST_PAUSE', category: 'MARKETING' },
    ],
    ['2026/derived/message_template_status_update.disabled.json', { kind: 'status', status: 'DISABLED', reason: null }],
    [
      '2026/webhooks/template_category_update.impending.json',
      {
        kind: 'category-impending',
        templateId: '278077987957091',
        currentCategory: 'UTILITY',
        correctCategory: 'MARKETING',
      },
    ],
    [
      '2026/webhooks/template_category_update.completed.json',
      { kind: 'category-completed', previousCategory: 'UTILITY', newCategory: 'MARKETING' },
    ],
    [
      '2026/webhooks/message_template_quality_update.green_to_yellow.json',
      { kind: 'quality', templateId: '806312974732579', quality: 'YELLOW' },
    ],
    [
      '2026/webhooks/message_template_components_update.json',
      { kind: 'components', templateId: '1315502779341834', name: 'order_confirmation' },
    ],
  ])('should read %s', (fixture, expected) => {
    expect(reportOf(fixture)).toMatchObject(expected);
  });

  it("should read a quality change by its keys when Meta labels it as a status update (the doc's quirk)", () => {
    const [change] = routeWebhookChanges(
      readFixture('2026/webhooks/message_template_quality_update.green_to_yellow.json'),
    );

    expect(readTemplateReport({ ...change, field: 'message_template_status_update' })).toMatchObject({
      kind: 'quality',
      quality: 'YELLOW',
    });
  });

  it.each([
    ['REINSTATED', 'APPROVED'],
    ['UNARCHIVED', 'APPROVED'],
    ['FLAGGED', null],
    ['LOCKED', null],
  ])('should read event %s as status %s', (event, status) => {
    const [change] = routeWebhookChanges(readFixture('2026/webhooks/message_template_status_update.approved.json'));

    expect(readTemplateReport({ ...change, event, value: { ...change.value, event } })).toMatchObject({ status });
  });

  it('should refuse a change without the template id, or with an id that lost its digits', () => {
    const [change] = routeWebhookChanges(readFixture('2026/webhooks/message_template_status_update.approved.json'));

    expect(readTemplateReport({ ...change, value: { ...change.value, message_template_id: undefined } })).toBeNull();
    expect(readTemplateReport({ ...change, value: { ...change.value, message_template_id: 2 ** 60 } })).toBeNull();
    expect(
      readTemplateReport({ ...change, value: { ...change.value, message_template_id: '12345678901234567890' } }),
    ).toMatchObject({ templateId: '12345678901234567890' });
  });
});
