// A reporter for Node's built-in test runner (`node --test --test-reporter=THIS`): one JSON
// line per finished test or suite, with its file, nesting and error. Node 20's own junit
// reporter leaves out the file, so tests of different files could not be told apart.
function text(value) {
  return value === undefined || value === null ? "" : String(value);
}

export default async function* report(source) {
  for await (const event of source) {
    const data = event.data || {};
    if (event.type === "test:pass" || event.type === "test:fail") {
      const details = data.details || {};
      const error = details.error || {};
      const cause = error.cause || {};
      yield JSON.stringify({
        outcome: event.type === "test:pass" ? "pass" : "fail",
        name: text(data.name), nesting: data.nesting || 0, file: text(data.file),
        suite: details.type === "suite", skip: data.skip !== undefined || data.todo !== undefined,
        duration_ms: details.duration_ms || 0, failure: text(error.failureType),
        message: text(cause.message !== undefined ? cause.message : error.message),
        stack: text(cause.stack || error.stack),
      }) + "\n";
    } else if (event.type === "test:stderr" || event.type === "test:stdout") {
      yield JSON.stringify({ output: text(data.message), file: text(data.file) }) + "\n";
    }
  }
}
