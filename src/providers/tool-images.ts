// Images in tool results (an MCP tool's screenshot, a chart): Anthropic's Messages API takes them inside
// a tool_result (JPEG, PNG, GIF, WebP); OpenAI's chat completions take only text in a tool message, and
// Gemini's functionResponse (in @google/generative-ai 0.24) only JSON. Those models read a note instead,
// saying what was there, so that they neither believe they saw it nor ask for it again and again.

import type { ToolImage } from '../core/ports';

/** The image types Anthropic's tool_result image blocks accept. */
export const ANTHROPIC_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** The tool result's text with a note for each image this provider is not sent. */
export function withImageNotes(content: string, images: readonly ToolImage[] | undefined, why: string): string {
  if (!images?.length) return content;
  const notes = images.map((im, i) => `[image ${i + 1} (${im.mimeType}, ${Math.floor((im.data.length * 3) / 4)} bytes) is not shown: ${why}]`);
  return `${content}\n${notes.join('\n')}`;
}
