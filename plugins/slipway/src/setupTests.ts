import '@testing-library/jest-dom';

// The first render of each file loads the lazy extensions and MUI; on a busy
// 2-core CI machine that alone can take several seconds.
jest.setTimeout(20000);
