import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig('@fcgi/h3');
