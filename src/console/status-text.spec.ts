import { alertLabel, reasonSentence } from './status-text';

describe(reasonSentence.name, () => {
  it.each([
    ['BANNED', 'Meta disabled (banned) this account.'],
    ['DISCONNECTED', 'The account was disconnected from this platform at Meta (removed, deleted or offboarded).'],
    ['META_STATUS_PENDING_DELETION', 'Meta reports the account status as PENDING_DELETION.'],
    ['BLOCKED', "Meta's health check reports the account blocked from sending."],
    ['SCHEDULED_FOR_DISABLE', 'Meta has scheduled this account to be disabled.'],
    ['RESTRICTED', 'Meta restricted what this account can send.'],
  ])('should say why for %s', (reason, sentence) => {
    expect(reasonSentence(reason)).toBe(sentence);
  });

  it('should still say something for a reason it does not know', () => {
    expect(reasonSentence('SOMETHING_NEW')).toBe('Meta reports SOMETHING_NEW.');
  });
});

describe(alertLabel.name, () => {
  it('should read an alert type as words, OBA kept as the acronym', () => {
    expect(alertLabel('OBA_REJECTED')).toBe('OBA rejected');
    expect(alertLabel('INCREASED_CAPABILITIES_ELIGIBILITY_FAILED')).toBe('Increased capabilities eligibility failed');
  });
});
