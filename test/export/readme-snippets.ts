import * as fs from 'fs';
import * as path from 'path';

/** The README's Export section code blocks of one language (the tests run exactly what the README shows). */
export function exportSnippet(language: 'html' | 'js' | 'python'): string {
  const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('### Export:');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```').exec(section);
  if (start < 0 || !match) throw new Error(`README.md: no \`\`\`${language} block in the Export section`);
  return match[1];
}
