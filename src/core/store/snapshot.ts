import { foldSession } from './sessions';
export function openSession(dir: string) {
  return foldSession(dir);
}
