/** A map whose values are held weakly: an entry lasts as long as something else holds its value. */
export class WeakValues<V extends object> {
  private readonly map = new Map<string, WeakRef<V>>();
  private readonly reaper = new FinalizationRegistry<string>((key) => {
    if (this.map.get(key)?.deref() === undefined) this.map.delete(key);
  });

  get(key: string): V | undefined {
    return this.map.get(key)?.deref();
  }

  set(key: string, value: V): void {
    this.map.set(key, new WeakRef(value));
    this.reaper.register(value, key);
  }
}
