import { LocalBlockList } from './local-block-list';

describe(LocalBlockList.name, () => {
  it('should remember a block until it expires', () => {
    const sut = new LocalBlockList(10);
    sut.block('a', 1_000, 0);

    expect(sut.remainingMs('a', 400)).toBe(600);
    expect(sut.remainingMs('a', 1_000)).toBe(0);
    expect(sut.size).toBe(0);
  });

  it('should stay within its size, forgetting expired entries first and then the oldest', () => {
    const sut = new LocalBlockList(3);
    sut.block('expired', 10, 0);
    sut.block('old', 5_000, 0);
    sut.block('newer', 5_000, 0);

    sut.block('fourth', 5_000, 100);
    expect(sut.size).toBe(3);
    expect(sut.remainingMs('old', 100)).toBeGreaterThan(0);

    sut.block('fifth', 5_000, 100);
    expect(sut.size).toBe(3);
    expect(sut.remainingMs('old', 100)).toBe(0);
    expect(sut.remainingMs('fifth', 100)).toBe(5_000);
  });
});
