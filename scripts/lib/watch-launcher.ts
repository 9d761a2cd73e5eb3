import { readFileSync } from "node:fs";

type ProcessStat = { state: string; ppid: number; pgrp: number; startTime: string };

/**
 * Calls `onGone` once when what launched this process is gone: its parent, or any ancestor in
 * its process group, i.e. the job a shell started (`npm run dev` is npm → tsx → node). npm
 * and tsx pass on SIGINT and SIGTERM only, and die of a SIGHUP (a `kill -HUP`, a terminal
 * closing) without passing it on: that orphans this process, which would otherwise keep
 * PostgreSQL and Next.js running. Polls /proc (Linux); elsewhere it watches the parent only.
 */
export function watchLauncher(onGone: (who: string) => void, intervalMs = 250): void {
  const parent = process.ppid;
  const self = readStat(process.pid);
  const ancestors: Array<{ pid: number; startTime: string }> = [];
  for (let pid = parent, stat = readStat(pid); self && stat && pid > 1; pid = stat.ppid, stat = readStat(pid)) {
    if (pid !== parent && stat.pgrp !== self.pgrp) break;
    ancestors.push({ pid, startTime: stat.startTime });
  }
  const timer = setInterval(() => {
    // A pid is only the same process while its start time is (pids are reused), and a zombie
    // has exited already.
    const alive = ({ pid, startTime }: { pid: number; startTime: string }) => {
      const stat = readStat(pid);
      return stat !== null && stat.startTime === startTime && stat.state !== "Z";
    };
    const gone = process.ppid !== parent ? { pid: parent } : ancestors.find((ancestor) => !alive(ancestor));
    if (!gone) return;
    clearInterval(timer);
    onGone(`process ${gone.pid}`);
  }, intervalMs);
  timer.unref();
}

/** Fields of /proc/<pid>/stat (man 5 proc); the command name may hold spaces and parentheses. */
function readStat(pid: number): ProcessStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // After the name: state(3) ppid(4) pgrp(5) … starttime(22).
    return { state: fields[0] ?? "", ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: fields[19] ?? "" };
  } catch {
    return null;
  }
}
