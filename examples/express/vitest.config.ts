import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig('@fcgi/example-express');
