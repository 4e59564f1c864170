/**
 * Uploading one local file: in one PUT, or, for a large file (or with `put --resume`), through a
 * resumable upload session whose id is kept on disk (upload-state.ts) until it completes, so the
 * same command run again after an interruption sends only what the node does not hold yet.
 */
import { stat } from 'node:fs/promises';
import { displayNode, isDfsClientError, type PutResult } from '@dfs/client';
import type { CommandContext } from './context.js';
import {
  clearUploadState,
  readUploadState,
  RESUMABLE_FROM_BYTES,
  uploadStatePath,
  uploadStateDirectory,
  writeUploadState,
} from './upload-state.js';

export interface UploadFileOptions {
  w?: number;
  /** Use a session whatever the size. */
  resumable?: boolean;
  /** Running total of bytes sent (as the client reports it). */
  onProgress?: (loaded: number) => void;
}

export async function uploadFile(
  context: CommandContext,
  path: string,
  name: string,
  size: number,
  options: UploadFileOptions = {},
): Promise<PutResult> {
  const w = options.w === undefined ? {} : { w: options.w };
  const onProgress = ({ loaded }: { loaded: number }) => options.onProgress?.(loaded);
  if (!options.resumable && size < RESUMABLE_FROM_BYTES) {
    return context.client.put(name, { path }, { ...context.abortable, ...w, onProgress });
  }
  const info = await stat(path);
  const statePath = uploadStatePath(uploadStateDirectory(context.io.env), {
    nodes: context.nodes,
    name,
    path,
    size: info.size,
    mtimeMs: info.mtimeMs,
  });
  const resume = await readUploadState(statePath);
  if (resume !== undefined) {
    context.note(`resuming ${name} from what ${displayNode(resume.node)} already holds`);
  }
  let recorded: Promise<void> = Promise.resolve();
  let hasSession = false;
  try {
    const result = await context.client.uploadResumable(
      name,
      { path },
      {
        ...context.abortable,
        ...w,
        ...(resume === undefined ? {} : { resume }),
        onSession: (session) => {
          hasSession = true;
          recorded = recorded.then(() => writeUploadState(statePath, session));
        },
        onProgress,
      },
    );
    await recorded;
    await clearUploadState(statePath);
    return result;
  } catch (error) {
    await recorded.catch(() => undefined);
    // A node from before upload sessions has no /v1/uploads: send the file in one PUT instead.
    if (
      !hasSession &&
      !options.resumable &&
      isDfsClientError(error) &&
      error.code === 'ERR_NOT_FOUND'
    ) {
      return context.client.put(name, { path }, { ...context.abortable, ...w, onProgress });
    }
    if (hasSession) context.note(`run the same command again to continue ${name} where it stopped`);
    throw error;
  }
}
