// Throw-away extension-host suite proving the e2e mechanism until the real suite
// (test/vscode/ -> out/test/suite/index.js) exists. Same contract as @vscode/test-electron:
// the module exports run(), executed inside the extension host; a rejection = failure.
'use strict';
const path = require('path');
const Mocha = require('mocha');

exports.run = function run() {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30000, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'smoke.test.js'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} tests failed.`)) : resolve()));
  });
};
