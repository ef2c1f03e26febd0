import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// The first render of each file loads the lazy extensions and MUI; on a busy
// 2-core CI machine that alone can take several seconds.
jest.setTimeout(90000);
configure({ asyncUtilTimeout: 30000 });
