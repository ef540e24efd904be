import { Logger } from '@nestjs/common';

import { WabaStatusChangedEvent } from 'src/modules/wabas/events/waba-status-changed.event';
import { WabaStatus } from 'src/modules/wabas/wabas.constants';

import { WabaStatusChangedListener } from './waba-status-changed.listener';
import { ChangeSource } from 'src/modules/audit/change-context';

describe(WabaStatusChangedListener.name, () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('should log the change with the WABA, the organization, both states and the source', () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const sut = new WabaStatusChangedListener();

    sut.handle(
      new WabaStatusChangedEvent(
        'org-1',
        '1001',
        { status: WabaStatus.ACTIVE, statusReason: null },
        { status: WabaStatus.DISABLED, statusReason: 'BANNED' },
        ChangeSource.WEBHOOK,
      ),
    );

    expect(log).toHaveBeenCalledWith('WABA 1001 (organization org-1) status ACTIVE/- → DISABLED/BANNED from WEBHOOK');
  });
});
