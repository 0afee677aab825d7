/** The page's elements are found by the data-testid that tests and users' scripts drive them by. */

export function byTestId<T extends Element>(id: string): T {
  const element = document.querySelector<T>(`[data-testid="${id}"]`);
  if (element == null) throw new Error(`The page has no element with data-testid="${id}"`);
  return element;
}
